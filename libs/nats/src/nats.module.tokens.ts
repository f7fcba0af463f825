export const NATS = Symbol('NATS_CONNECTION');
export const SUBJECTS = Symbol('NATS_SUBJECTS');
export const INSTANCE_ID = Symbol('INSTANCE_ID');
/** The process's NatsClient (ClientProxy): commands with replies, and events. */
export const NATS_CLIENT = Symbol('NATS_CLIENT');
