export * from './cooldown-rules';
export * from './deployment-picker';
export * from './fallback-planner';
export * from './least-busy';
export * from './lowest-latency';
export * from './model-resolver';
export * from './retry-policy';
export * from './weighted-pick';
