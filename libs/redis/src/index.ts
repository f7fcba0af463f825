export * from './hot-redis.client';
export * from './redis-script';
export * from './limits/limits.scripts';
export * from './limits/limits.store';
