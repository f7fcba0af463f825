/**
 * Every NATS subject and stream name Switchyard uses. Subjects are `<prefix>.<domain>.<entity>.<verb>`;
 * the prefix (default `sy`, env SWITCHYARD_NATS_PREFIX) lets several stacks, or a test run beside a dev
 * stack, share one NATS server without seeing each other's traffic.
 */
export interface Subjects {
  readonly prefix: string;
  /** gateway → router: route one chat request (queue group `router`). Payload: the client's JSON body, untouched. */
  readonly chatRoute: string;
  /** router → translator: run one attempt against one deployment (queue group `translator`). */
  readonly chatExecute: string;
  /**
   * gateway → every translator (no queue group): the client of request `sy-request-id` went away; the
   * translator holding it aborts the upstream call and reports the usage so far.
   */
  readonly chatCancel: string;
  /** Wildcard root of one gateway instance's reply subjects: `<gatewayReply>.<instance>.<seq>`. */
  readonly gatewayReply: string;
  /** Wildcard root of one router instance's attempt-outcome subjects: `<routerOutcome>.<instance>.<seq>`. */
  readonly routerOutcome: string;
  /** JetStream subject of usage events (one per client request, whatever its outcome). */
  readonly usageRecorded: string;
  /** Broadcast: a virtual key was changed or revoked; every gateway drops it from its cache. */
  readonly keyChanged: string;
  /** JetStream stream holding usage events. */
  readonly usageStream: string;
  /** Durable consumer the spend service reads usage events with. */
  readonly usageConsumer: string;
}

const PREFIX_PATTERN = /^[a-zA-Z0-9_-]{1,32}$/;

export function subjects(prefix = 'sy'): Subjects {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new Error(`NATS prefix "${prefix}" is invalid: use 1-32 letters, digits, '_' or '-'.`);
  }
  const streamPrefix = prefix.toUpperCase().replace(/-/g, '_');
  return {
    prefix,
    chatRoute: `${prefix}.router.chat.route`,
    chatExecute: `${prefix}.translator.chat.execute`,
    chatCancel: `${prefix}.translator.chat.cancel`,
    gatewayReply: `${prefix}.gateway.reply`,
    routerOutcome: `${prefix}.router.outcome`,
    usageRecorded: `${prefix}.usage.request.recorded`,
    keyChanged: `${prefix}.keys.key.changed`,
    usageStream: `${streamPrefix}_USAGE`,
    usageConsumer: `${streamPrefix}_SPEND`,
  };
}

/** Queue groups: replicas of one service share work through these. */
export const QUEUE_GROUPS = {
  router: 'router',
  translator: 'translator',
} as const;
