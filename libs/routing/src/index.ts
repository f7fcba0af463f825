export * from './model-resolver';
export * from './weighted-pick';
