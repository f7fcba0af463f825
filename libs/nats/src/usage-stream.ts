import {
  jetstreamManager,
  StorageType,
  RetentionPolicy,
  DiscardPolicy,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Env } from '@switchyard/config';
import type { Subjects } from '@switchyard/contracts';

/** How long JetStream remembers a usage event's message id to drop a duplicate publish. */
export const USAGE_DUPLICATE_WINDOW_MS = 10 * 60 * 1000;

/** Operator bounds of the usage stream (SWITCHYARD_USAGE_STREAM_MAX_BYTES / _MAX_AGE_HOURS). */
export interface UsageStreamBounds {
  maxBytes: number;
  /** 0: no age limit. */
  maxAgeHours: number;
}

export interface UsageStreamLog {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const HOUR_NS = 3600 * 1e9;

export function usageStreamBounds(env: Env): UsageStreamBounds {
  return { maxBytes: env.SWITCHYARD_USAGE_STREAM_MAX_BYTES, maxAgeHours: env.SWITCHYARD_USAGE_STREAM_MAX_AGE_HOURS };
}

/** A publish refused because the stream is at one of its bounds. */
export function isUsageStreamFull(e: unknown): boolean {
  return /maximum (bytes|messages) exceeded|insufficient (storage|resources)/i.test((e as Error)?.message ?? '');
}

/**
 * The usage stream as Switchyard wants it. Work-queue retention: an event leaves the stream when spend acks
 * it, so what was processed never accumulates. Discard new: at max_bytes the stream refuses a publish (the
 * gateway retries and logs it) instead of deleting the oldest events, which would be unprocessed ones.
 * max_age is the one bound that deletes unprocessed events; spend warns well before it is reached.
 */
export function usageStreamConfig(s: Subjects, bounds: UsageStreamBounds): Partial<StreamConfig> & { name: string } {
  return {
    name: s.usageStream,
    subjects: [s.usageRecorded],
    storage: StorageType.File,
    retention: RetentionPolicy.Workqueue,
    discard: DiscardPolicy.New,
    max_bytes: bounds.maxBytes,
    max_age: bounds.maxAgeHours * HOUR_NS,
    duplicate_window: USAGE_DUPLICATE_WINDOW_MS * 1e6,
  };
}

/** What reconcileUsageStream decided for an existing stream: the settings to update, and what to tell the operator. */
export interface UsageStreamPlan {
  update?: Partial<StreamConfig>;
  notes: { level: 'log' | 'warn' | 'error'; message: string }[];
}

/**
 * Compares an existing stream with the wanted settings. Only what NATS lets us change in place is changed
 * (max_bytes, max_age, discard, duplicate_window); retention and storage cannot be, so a stream with other
 * ones is left as it is with instructions. A bound is never lowered below what the stream holds now, since
 * NATS would then delete the oldest events at once, processed or not.
 */
export function reconcileUsageStream(info: StreamInfo, want: Partial<StreamConfig>, now = Date.now()): UsageStreamPlan {
  const have = info.config;
  const name = have.name;
  const notes: UsageStreamPlan['notes'] = [];
  if (have.retention !== want.retention || have.storage !== want.storage) {
    notes.push({
      level: 'warn',
      message:
        `JetStream stream ${name} has retention "${have.retention}" and storage "${have.storage}" (an earlier Switchyard created it); ` +
        `Switchyard now wants "${want.retention}" and "${want.storage}", which NATS cannot change in place. It keeps working as it is, ` +
        `but processed usage events stay on disk until its max age (${formatAge(have.max_age)}) and SWITCHYARD_USAGE_STREAM_MAX_BYTES / _MAX_AGE_HOURS are not applied. ` +
        `To switch: stop every gateway; wait until spend has processed everything (\`nats consumer info ${name} <consumer>\` shows 0 unprocessed and 0 ack pending); ` +
        `\`nats stream rm ${name}\`; then start the gateways and restart spend: they create the stream with the new settings.`,
    });
    return { notes };
  }
  const update: Partial<StreamConfig> = {};
  if (have.discard !== want.discard) update.discard = want.discard;
  if (have.duplicate_window !== want.duplicate_window) update.duplicate_window = want.duplicate_window;

  const wantBytes = want.max_bytes ?? -1;
  const haveBytes = have.max_bytes;
  if (wantBytes !== haveBytes) {
    const unlimited = (n: number) => n <= 0;
    const lowering = unlimited(wantBytes) ? false : unlimited(haveBytes) || wantBytes < haveBytes;
    if (lowering && info.state.bytes > wantBytes) {
      notes.push({
        level: 'error',
        message: `JetStream stream ${name} holds ${info.state.bytes} bytes of unprocessed usage events, more than SWITCHYARD_USAGE_STREAM_MAX_BYTES=${wantBytes}; its max_bytes stays ${haveBytes} for now (lowering it would delete events spend has not processed). It is lowered at a later start once spend has caught up.`,
      });
    } else update.max_bytes = wantBytes;
  }

  const wantAge = want.max_age ?? 0;
  const haveAge = have.max_age;
  if (wantAge !== haveAge) {
    const lowering = wantAge > 0 && (haveAge === 0 || wantAge < haveAge);
    const oldestMs = info.state.messages > 0 ? now - Date.parse(info.state.first_ts) : 0;
    if (lowering && oldestMs * 1e6 >= wantAge) {
      notes.push({
        level: 'error',
        message: `JetStream stream ${name} holds a usage event ${formatAge(oldestMs * 1e6)} old, older than SWITCHYARD_USAGE_STREAM_MAX_AGE_HOURS allows (${formatAge(wantAge)}); its max_age stays ${formatAge(haveAge)} for now (lowering it would delete events spend has not processed). It is lowered at a later start once spend has caught up.`,
      });
    } else update.max_age = wantAge;
  }
  if (Object.keys(update).length === 0) return { notes };
  const changes = Object.entries(update).map(
    ([k, v]) => `${k} ${String(have[k as keyof StreamConfig])} → ${String(v)}`,
  );
  notes.push({ level: 'log', message: `JetStream stream ${name} updated: ${changes.join(', ')}` });
  return { update, notes };
}

/**
 * Creates the usage stream with the settings of usageStreamConfig(), or brings an existing one to them as
 * far as NATS allows (see reconcileUsageStream). Safe to call from every service at boot, concurrently.
 */
export async function ensureUsageStream(
  nc: NatsConnection,
  s: Subjects,
  bounds: UsageStreamBounds,
  log: UsageStreamLog = console,
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const want = usageStreamConfig(s, bounds);
  let info: StreamInfo | undefined;
  try {
    info = await jsm.streams.info(s.usageStream);
  } catch (e) {
    if (!/not found/i.test((e as Error).message)) throw withHint(e as Error);
  }
  if (!info) {
    try {
      await jsm.streams.add(want);
      return;
    } catch (e) {
      // Another service created it between our info() and add(): check what it created.
      if (!/already in use|exists/i.test((e as Error).message)) throw withHint(e as Error);
      info = await jsm.streams.info(s.usageStream);
    }
  }
  const plan = reconcileUsageStream(info, want);
  for (const n of plan.notes) log[n.level](n.message);
  if (plan.update) {
    try {
      await jsm.streams.update(s.usageStream, { ...plan.update });
    } catch (e) {
      log.error(
        `JetStream stream ${s.usageStream} could not be updated (${(e as Error).message}); it keeps its current settings.`,
      );
    }
  }
}

function formatAge(ns: number): string {
  if (ns <= 0) return 'no limit';
  const hours = ns / HOUR_NS;
  return hours >= 48
    ? `${Math.round(hours / 24)} d`
    : hours >= 1
      ? `${Math.round(hours)} h`
      : `${Math.round(ns / 6e10)} min`;
}

function withHint(e: Error): Error {
  if (/insufficient storage/i.test(e.message)) {
    return new Error(
      `JetStream cannot reserve storage for the usage stream: ${e.message}. Lower SWITCHYARD_USAGE_STREAM_MAX_BYTES or give JetStream more storage (max_file_store).`,
    );
  }
  return new Error(`JetStream is not usable: ${e.message}. Start nats-server with -js (JetStream enabled).`);
}

/** Share of a bound at which spend's backlog check warns, and at which it logs an error. */
export const BACKLOG_WARN_SHARE = 0.5;
export const BACKLOG_ERROR_SHARE = 0.8;

export interface UsageBacklog {
  messages: number;
  bytes: number;
  oldestAgeMs: number;
  /** How close the backlog is to the nearer bound (max_age or max_bytes), 0..1. */
  share: number;
  alert?: { level: 'warn' | 'error'; message: string };
}

/**
 * How much of the usage stream's bounds the unprocessed events use. Only meaningful for a work-queue
 * stream, where every event still in it is one spend has not processed; undefined for any other.
 */
export function usageBacklog(info: StreamInfo, now = Date.now()): UsageBacklog | undefined {
  if (info.config.retention !== RetentionPolicy.Workqueue) return undefined;
  const { messages, bytes } = info.state;
  const oldestAgeMs = messages > 0 ? Math.max(0, now - Date.parse(info.state.first_ts)) : 0;
  const ageShare = info.config.max_age > 0 ? (oldestAgeMs * 1e6) / info.config.max_age : 0;
  const byteShare = info.config.max_bytes > 0 ? bytes / info.config.max_bytes : 0;
  const share = Math.max(ageShare, byteShare);
  const backlog: UsageBacklog = { messages, bytes, oldestAgeMs, share };
  if (share < BACKLOG_WARN_SHARE) return backlog;
  const consequence =
    ageShare >= byteShare
      ? `the oldest is ${formatAge(oldestAgeMs * 1e6)} old and JetStream deletes events older than ${formatAge(info.config.max_age)} (SWITCHYARD_USAGE_STREAM_MAX_AGE_HOURS) whether processed or not`
      : `they fill ${Math.round(byteShare * 100)} % of max_bytes ${info.config.max_bytes} (SWITCHYARD_USAGE_STREAM_MAX_BYTES), beyond which gateways' publishes are refused`;
  backlog.alert = {
    level: share >= BACKLOG_ERROR_SHARE ? 'error' : 'warn',
    message: `usage stream ${info.config.name} holds ${messages} unprocessed event(s) (${bytes} bytes): ${consequence}. Check that spend is consuming (its log, ClickHouse and Postgres).`,
  };
  return backlog;
}
