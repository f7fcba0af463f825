import type { z } from 'zod';
import { KeyChangedEventSchema } from './key-changed.event';
import { TeamChangedEventSchema } from './team-changed.event';
import { ScopeChangedEventSchema } from './scope-changed.event';
import { UsageRecordedEventSchema } from './usage-recorded.event';

/**
 * Every NATS command and event, defined once. Subjects here are relative (`<domain>.<entity>.<verb>`,
 * with a version where the payload may change); the transport puts the deployment's prefix in front
 * (`sy.` by default, SWITCHYARD_NATS_PREFIX), so stacks sharing one NATS server never see each other.
 */

/**
 * A command: one service asks, one instance of the queue group answers on the message's reply subject.
 * `replies` says how the answer comes back: `one` message, or a `stream` of frames ending with a final
 * frame (see FrameKind).
 */
export interface CommandDef {
  readonly kind: 'command';
  readonly subject: string;
  /** Queue group: the instances of the handling service share the work. */
  readonly queue: string;
  readonly replies: 'one' | 'stream';
}

/**
 * An event: published, never answered. With a queue group one instance handles each event; without one
 * every instance does (a broadcast). With a schema the transport decodes JSON and validates it before the
 * handler runs (an invalid event is logged and dropped); without one the handler receives the raw message.
 */
export interface EventDef<T = unknown> {
  readonly kind: 'event';
  readonly subject: string;
  readonly queue?: string;
  readonly schema?: z.ZodType<T, unknown>;
}

const SUBJECT = /^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/;

function checked(subject: string, version: number | undefined): string {
  const full = version === undefined ? subject : `${subject}.v${version}`;
  if (!SUBJECT.test(full)) throw new Error(`Invalid NATS subject in the catalogue: "${full}"`);
  return full;
}

export function defineCommand(
  subject: string,
  opts: { queue: string; replies: CommandDef['replies']; version?: number },
): CommandDef {
  return { kind: 'command', subject: checked(subject, opts.version), queue: opts.queue, replies: opts.replies };
}

export function defineEvent<T = unknown>(
  subject: string,
  opts: { queue?: string; schema?: z.ZodType<T, unknown>; version?: number } = {},
): EventDef<T> {
  return { kind: 'event', subject: checked(subject, opts.version), queue: opts.queue, schema: opts.schema };
}

/** Queue groups: replicas of one service share work through these. */
export const QUEUE_GROUPS = {
  router: 'router',
  translator: 'translator',
} as const;

export const Commands = {
  /**
   * gateway → router: route one client request. Body: the client's bytes, untouched; metadata in headers
   * (request id, model, client API, stream, timeout, summary). Replies: the answer's frames, sent by the
   * translator that serves the committed attempt (or an error frame from the router).
   */
  routeRequest: defineCommand('router.request.route', { queue: QUEUE_GROUPS.router, replies: 'stream', version: 2 }),
  /**
   * router → translator: run one attempt of a request against one deployment. Data frames go to the
   * gateway's reply subject (header sy-client-reply); the attempt's outcome (one frame) to msg.reply.
   */
  executeAttempt: defineCommand('translator.attempt.execute', {
    queue: QUEUE_GROUPS.translator,
    replies: 'one',
    version: 2,
  }),
} as const;

export const Events = {
  /**
   * gateway → every translator (no queue group): the client of a request went away. The translator
   * holding an attempt of it aborts the upstream call and reports the usage so far.
   */
  attemptCancel: defineEvent('translator.attempt.cancel', { version: 2 }),
  /** admin, spend → every gateway: a virtual key changed or was revoked; drop it from the cache. */
  keyChanged: defineEvent('keys.key.changed', { schema: KeyChangedEventSchema }),
  /** admin → every gateway: a team's models changed; drop every cached key of the team. */
  teamChanged: defineEvent('teams.team.changed', { schema: TeamChangedEventSchema }),
  /** admin → every gateway: a user's or an organisation's limits changed; drop every cached key under it. */
  scopeChanged: defineEvent('tenancy.scope.changed', { schema: ScopeChangedEventSchema }),
  /** gateway → JetStream → spend: one per client request, whatever its outcome. */
  usageRecorded: defineEvent('usage.request.recorded', { schema: UsageRecordedEventSchema }),
} as const;

/**
 * Roots of per-process reply subjects (`<root>.<instance>.<seq>`): not handlers, inboxes. Each service's
 * NatsClient listens under `<service>.reply`.
 */
export const INBOX_ROOTS = {
  gatewayReply: 'gateway.reply',
  routerOutcome: 'router.reply',
} as const;

/** The absolute subject of a catalogue entry or inbox root under `prefix`. */
export function subjectOf(def: CommandDef | EventDef | string, prefix: string): string {
  return `${prefix}.${typeof def === 'string' ? def : def.subject}`;
}
