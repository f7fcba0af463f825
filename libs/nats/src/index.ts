export * from './reply-inbox';
export * from './nats.module';
export * from './nats-headers';
export * from './usage-stream';
export * from './key-events.publisher';
export * from './frames';
