export * from './env.schema';
export * from './config.schema';
export * from './switchyard-config';
export * from './load-config';
export * from './config.module';
export * from './redact-url';
export * from './nest-log-levels';
export * from './http-edge';
