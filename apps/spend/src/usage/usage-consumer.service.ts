import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { UsageRecordedEventSchema, type Subjects, type UsageRecordedEvent } from '@switchyard/contracts';
import { ENV, type Env } from '@switchyard/config';
import {
  ensureUsageStream,
  NATS,
  SUBJECTS,
  usageStreamBounds,
  utf8,
  type StreamConsumerOptions,
} from '@switchyard/nats';
import { UsageBatchService, UsageStoreError, type UsageStoreFailure } from './usage-batch.service';

export const USAGE_BATCH_SIZE = 500;
const ACK_WAIT_MS = 30_000;

/** The durable pull consumer spend reads usage events with; the transport runs it (see UsageController). */
export const USAGE_CONSUMER: StreamConsumerOptions = {
  stream: (s) => s.usageStream,
  durable: (s) => s.usageConsumer,
  batch: USAGE_BATCH_SIZE,
  ackWaitMs: ACK_WAIT_MS,
  maxAckPending: USAGE_BATCH_SIZE * 10,
};
/** Redelivery delay when a store is unavailable, and the first step of an event's backoff. */
export const RETRY_DELAY_MS = 2_000;
export const MAX_RETRY_DELAY_MS = 60_000;
/** Deliveries after which an event that keeps failing on its own is terminated as a dead letter. */
export const MAX_DELIVERIES = 5;
/** Store calls one fetched batch may spend on finding its failing events; the rest come back later. */
export const MAX_STORE_ATTEMPTS = 64;
/** A store success this recent proves the stores work, so an event failing alone is at fault. */
const HEALTHY_WINDOW_MS = 60_000;

interface Decoded {
  msg: JsMsg;
  event: UsageRecordedEvent;
}

type StoreResult = { ok: true } | { ok: false; error: Error; failure: UsageStoreFailure; store?: string };

/** nak delay for an event's n-th failed delivery: 2 s, 4 s, 8 s, ... up to a minute. */
export function retryDelayMs(deliveryCount: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, RETRY_DELAY_MS * 2 ** Math.max(0, Math.min(deliveryCount - 1, 10)));
}

/**
 * Settles the batches of usage events the transport pulls from JetStream (UsageController, USAGE_CONSUMER),
 * acking an event only after UsageBatchService made it durable. When a batch fails because a store is
 * unavailable, the whole batch is nak'ed with a delay and comes back. When it fails for another reason, it
 * is split in halves until the failing events are alone: every other event is stored and acked, and an
 * event that fails alone is nak'ed with backoff, then terminated as a dead letter (logged at error level)
 * once it has been delivered MAX_DELIVERIES times and failed while the stores were demonstrably working.
 * An event that can never be valid is terminated at once.
 */
@Injectable()
export class UsageConsumerService implements OnApplicationBootstrap {
  private readonly logger = new Logger('UsageConsumer');
  private lastStoredAt = 0;
  processedBatches = 0;
  deadLettered = 0;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(SUBJECTS) private readonly subjects: Subjects,
    @Inject(UsageBatchService) private readonly batches: UsageBatchService,
    @Inject(ENV) private readonly env: Env,
  ) {}

  /** The usage stream must exist before the transport creates the durable consumer on it at listen(). */
  async onApplicationBootstrap(): Promise<void> {
    await ensureUsageStream(this.nc, this.subjects, usageStreamBounds(this.env), this.logger);
  }

  /** Validates, processes and settles (ack, nak or term) every event of one pulled batch. Never throws. */
  async handle(msgs: JsMsg[]): Promise<void> {
    const valid: Decoded[] = [];
    for (const msg of msgs) {
      const event = this.decode(msg);
      if (event) valid.push({ msg, event });
      // No reason text: nats-server 2.9 ignores a "+TERM <reason>" it does not parse.
      else msg.term();
    }
    if (valid.length > 0) {
      const result = await this.store(valid);
      if (result.ok) {
        this.processedBatches++;
        this.logger.debug(`batch of ${valid.length} usage events stored`);
      } else if (result.failure === 'unavailable') {
        for (const v of valid) v.msg.nak(RETRY_DELAY_MS);
        this.logger.error(
          `batch of ${valid.length} usage events (stream seq ${seqRange(valid)}) not stored, redelivery in ${RETRY_DELAY_MS} ms: ${result.error.message}`,
        );
      } else {
        await this.isolate(valid, result);
      }
    }
  }

  /** Stores a group and acks it on success. */
  private async store(group: Decoded[]): Promise<StoreResult> {
    try {
      await this.batches.process(group.map((v) => v.event));
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      const failure = e instanceof UsageStoreError ? e.failure : 'unknown';
      return { ok: false, error, failure, store: e instanceof UsageStoreError ? e.store : undefined };
    }
    for (const v of group) v.msg.ack();
    this.lastStoredAt = Date.now();
    return { ok: true };
  }

  /**
   * A batch failed for a reason other than an unavailable store: splits it in halves, depth first, until
   * each failing event is alone, so every event that can be stored is stored and acked now.
   */
  private async isolate(batch: Decoded[], failed: Extract<StoreResult, { ok: false }>): Promise<void> {
    if (batch.length > 1)
      this.logger.warn(
        `batch of ${batch.length} usage events (stream seq ${seqRange(batch)}) not stored (${failed.error.message}); storing it in parts to find the failing events`,
      );
    const queue: Decoded[][] = batch.length > 1 ? halves(batch) : [];
    const alone: { item: Decoded; result: Extract<StoreResult, { ok: false }> }[] =
      batch.length === 1 ? [{ item: batch[0], result: failed }] : [];
    const deferred: Decoded[] = [];
    let outage: Error | undefined;
    let attempts = 0;
    let stored = 0;
    let keptAliveAt = Date.now();
    while (queue.length > 0) {
      const group = queue.shift()!;
      if (outage || attempts >= MAX_STORE_ATTEMPTS) {
        deferred.push(...group);
        continue;
      }
      attempts++;
      const result = await this.store(group);
      if (result.ok) stored += group.length;
      else if (result.failure === 'unavailable') {
        outage = result.error;
        deferred.push(...group);
      } else if (group.length === 1) alone.push({ item: group[0], result });
      else queue.unshift(...halves(group));
      if (Date.now() - keptAliveAt > ACK_WAIT_MS / 3) {
        // Still ours: keep the server from redelivering what waits in the queue.
        for (const g of queue) for (const v of g) v.msg.working();
        keptAliveAt = Date.now();
      }
    }
    for (const v of deferred) v.msg.nak(RETRY_DELAY_MS);
    if (deferred.length > 0)
      this.logger.error(
        `${deferred.length} usage events of the batch not tried (${outage ? `store unavailable: ${outage.message}` : `over ${MAX_STORE_ATTEMPTS} attempts`}); redelivery in ${RETRY_DELAY_MS} ms`,
      );
    // Proof that the stores work, so an event failing alone is at fault: another event was stored now or
    // a moment ago, and no store became unavailable meanwhile. A store refusing the data is proof itself.
    const storesWork = !outage && (stored > 0 || Date.now() - this.lastStoredAt < HEALTHY_WINDOW_MS);
    for (const { item, result } of alone) this.settleFailed(item, result, storesWork || result.failure === 'rejected');
  }

  /** An event that failed alone: nak'ed with backoff, or terminated as a dead letter after MAX_DELIVERIES. */
  private settleFailed(item: Decoded, result: Extract<StoreResult, { ok: false }>, atFault: boolean): void {
    const { msg, event } = item;
    const deliveries = deliveryCount(msg);
    if (atFault && deliveries >= MAX_DELIVERIES) {
      msg.term(); // no reason text: nats-server 2.9 ignores "+TERM <reason>"
      this.deadLettered++;
      const billed =
        result.store === 'clickhouse'
          ? 'its spend is recorded in Postgres, its analytics row is missing'
          : 'its spend is NOT recorded';
      this.logger.error(
        `dead letter: usage event ${event.requestId} (stream seq ${msg.seq}) failed alone on ${deliveries} deliveries and was terminated; ${billed}. Error: ${result.error.message}`,
      );
      this.logger.error(
        `metric usage_events_dead_lettered_total=${this.deadLettered} request_id=${event.requestId} stream_seq=${msg.seq} store=${result.store ?? 'unknown'}`,
      );
      return;
    }
    const delay = retryDelayMs(deliveries);
    msg.nak(delay);
    this.logger.error(
      `usage event ${event.requestId} (stream seq ${msg.seq}, delivery ${deliveries} of ${MAX_DELIVERIES}) not stored, redelivery in ${delay} ms${atFault ? '' : ' (the stores are not proven to work, so it is not dead-lettered yet)'}: ${result.error.message}`,
    );
  }

  private decode(msg: JsMsg): UsageRecordedEvent | undefined {
    let json: unknown;
    try {
      json = JSON.parse(utf8.decode(msg.data));
    } catch {
      this.logger.error(`usage event at stream seq ${msg.seq} is not JSON; terminated (it can never be processed)`);
      return undefined;
    }
    const parsed = UsageRecordedEventSchema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ');
      this.logger.error(
        `usage event at stream seq ${msg.seq} does not match UsageRecordedEventSchema (${issues}); terminated`,
      );
      return undefined;
    }
    return parsed.data;
  }
}

function halves<T>(items: T[]): T[][] {
  const mid = Math.ceil(items.length / 2);
  return [items.slice(0, mid), items.slice(mid)];
}

function seqRange(items: Decoded[]): string {
  return `${items[0].msg.seq}..${items[items.length - 1].msg.seq}`;
}

/** How many times the server has delivered this message, this delivery included (1 when unknown). */
function deliveryCount(msg: JsMsg): number {
  try {
    const n = msg.info.deliveryCount;
    return Number.isInteger(n) && n > 0 ? n : 1;
  } catch {
    return 1;
  }
}
