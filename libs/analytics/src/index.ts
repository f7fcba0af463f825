export * from './sql-literal';
export * from './analytics-client';
export * from './analytics-migrations';
export * from './usage-row';
export * from './usage.queries';
export * from './analytics.module';
export * from './analytics.queries';
