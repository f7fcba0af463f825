export * from './http-edge';
