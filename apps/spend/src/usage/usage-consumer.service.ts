import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JsMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { UsageRecordedEventSchema, type Subjects, type UsageRecordedEvent } from '@switchyard/contracts';
import { ensureUsageStream, NATS, SUBJECTS, utf8 } from '@switchyard/nats';
import { UsageBatchService } from './usage-batch.service';

export const USAGE_BATCH_SIZE = 500;
const FETCH_EXPIRES_MS = 1_000; // the client's minimum
const ACK_WAIT_MS = 30_000;
export const RETRY_DELAY_MS = 2_000;

const nanos = (ms: number): number => ms * 1_000_000;

/**
 * Reads usage events from JetStream with the durable pull consumer, in batches, and acks a batch only
 * after UsageBatchService made it durable. A failing batch is nak'ed with a delay and comes back; an
 * event that can never be valid is terminated. The loop never stops on an error, only on shutdown,
 * which lets the batch in hand finish first.
 */
@Injectable()
export class UsageConsumerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('UsageConsumer');
  private running = false;
  private loop?: Promise<void>;
  private fetching?: ConsumerMessages;
  private wake?: () => void;
  processedBatches = 0;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(SUBJECTS) private readonly subjects: Subjects,
    @Inject(UsageBatchService) private readonly batches: UsageBatchService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await ensureUsageStream(this.nc, this.subjects);
    await this.ensureConsumer();
    this.running = true;
    this.loop = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.running) return;
    this.logger.log('stopping: finishing the batch in hand');
    this.running = false;
    this.fetching?.stop();
    this.wake?.();
    await this.loop;
  }

  /** Creates the durable consumer if it is missing; an existing one is used as it is. */
  async ensureConsumer(): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    const stream = this.subjects.usageStream;
    const durable = this.subjects.usageConsumer;
    try {
      await jsm.consumers.info(stream, durable);
      return;
    } catch (e) {
      if (!/not found/i.test((e as Error).message)) throw this.hint(e as Error);
    }
    try {
      await jsm.consumers.add(stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(ACK_WAIT_MS),
        max_deliver: -1,
        max_ack_pending: USAGE_BATCH_SIZE * 10,
        deliver_policy: DeliverPolicy.All,
        filter_subject: this.subjects.usageRecorded,
      });
      this.logger.log(`created durable consumer ${durable} on ${stream}`);
    } catch (e) {
      // Another spend instance created it first.
      if (!/already (exists|in use)/i.test((e as Error).message)) throw this.hint(e as Error);
    }
  }

  private hint(e: Error): Error {
    return new Error(
      `JetStream consumer ${this.subjects.usageConsumer} on ${this.subjects.usageStream}: ${e.message}. Check NATS_URL and that nats-server runs with -js.`,
    );
  }

  private async run(): Promise<void> {
    const js = jetstream(this.nc);
    let failures = 0;
    while (this.running) {
      try {
        const consumer = await js.consumers.get(this.subjects.usageStream, this.subjects.usageConsumer);
        const iter = await consumer.fetch({ max_messages: USAGE_BATCH_SIZE, expires: FETCH_EXPIRES_MS });
        this.fetching = iter;
        const msgs: JsMsg[] = [];
        for await (const m of iter) msgs.push(m);
        this.fetching = undefined;
        if (msgs.length > 0) await this.handle(msgs);
        failures = 0;
      } catch (e) {
        this.fetching = undefined;
        if (!this.running) break;
        failures++;
        const wait = Math.min(10_000, 250 * 2 ** Math.min(failures, 6));
        this.logger.error(
          `fetching usage events failed (${(e as Error).message}); retrying in ${wait} ms. Check NATS at NATS_URL.`,
        );
        if (/consumer not found|no responders/i.test((e as Error).message)) {
          await this.ensureConsumer().catch((err: Error) => this.logger.error(err.message));
        }
        await this.pause(wait);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** Validates, processes and acknowledges one fetched batch. Never throws. */
  async handle(msgs: JsMsg[]): Promise<void> {
    const valid: { msg: JsMsg; event: UsageRecordedEvent }[] = [];
    for (const msg of msgs) {
      const event = this.decode(msg);
      if (event) valid.push({ msg, event });
      // No reason text: nats-server 2.9 ignores a "+TERM <reason>" it does not parse.
      else msg.term();
    }
    if (valid.length === 0) {
      await this.nc.flush().catch(() => undefined);
      return;
    }
    try {
      const { newlyCounted } = await this.batches.process(valid.map((v) => v.event));
      for (const v of valid) v.msg.ack();
      await this.nc.flush();
      this.processedBatches++;
      const dup = valid.length - newlyCounted;
      this.logger.debug(`batch of ${valid.length} usage events stored${dup ? ` (${dup} already counted)` : ''}`);
    } catch (e) {
      for (const v of valid) v.msg.nak(RETRY_DELAY_MS);
      const seqs = `${valid[0].msg.seq}..${valid[valid.length - 1].msg.seq}`;
      this.logger.error(
        `batch of ${valid.length} usage events (stream seq ${seqs}) not stored, redelivery in ${RETRY_DELAY_MS} ms: ${(e as Error).message}`,
      );
    }
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
