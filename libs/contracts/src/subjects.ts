import { Commands, Events, INBOX_ROOTS, subjectOf } from './catalogue';

/**
 * The absolute NATS subjects and JetStream names of one deployment: the catalogue (catalogue.ts) under a
 * prefix (default `sy`, env SWITCHYARD_NATS_PREFIX), so several stacks, or a test run beside a dev stack,
 * share one NATS server without seeing each other's traffic.
 */
export interface Subjects {
  readonly prefix: string;
  /** Commands.routeRequest (queue group `router`). */
  readonly routeRequest: string;
  /** Commands.executeAttempt (queue group `translator`). */
  readonly executeAttempt: string;
  /** Events.attemptCancel (broadcast to every translator). */
  readonly attemptCancel: string;
  /** Wildcard root of one gateway instance's reply subjects: `<gatewayReply>.<instance>.<seq>`. */
  readonly gatewayReply: string;
  /** Wildcard root of one router instance's attempt-outcome subjects: `<routerOutcome>.<instance>.<seq>`. */
  readonly routerOutcome: string;
  /** Events.usageRecorded: the JetStream subject of usage events. */
  readonly usageRecorded: string;
  /** Events.keyChanged (broadcast to every gateway). */
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
    routeRequest: subjectOf(Commands.routeRequest, prefix),
    executeAttempt: subjectOf(Commands.executeAttempt, prefix),
    attemptCancel: subjectOf(Events.attemptCancel, prefix),
    gatewayReply: subjectOf(INBOX_ROOTS.gatewayReply, prefix),
    routerOutcome: subjectOf(INBOX_ROOTS.routerOutcome, prefix),
    usageRecorded: subjectOf(Events.usageRecorded, prefix),
    keyChanged: subjectOf(Events.keyChanged, prefix),
    usageStream: `${streamPrefix}_USAGE`,
    usageConsumer: `${streamPrefix}_SPEND`,
  };
}
