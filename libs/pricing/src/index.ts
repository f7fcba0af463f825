export * from './model-catalogue';
export * from './cost';
