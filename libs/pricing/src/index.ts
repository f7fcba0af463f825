export * from './model-catalogue';
export * from './cost';
export * from './price-overrides';
export * from './litellm-import';
export * from './usage-price';
