export * from './hot-redis.client';
export * from './redis-script';
