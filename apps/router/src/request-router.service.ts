import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Msg } from '@nats-io/transport-node';
import { CONFIG, modelCatalog, type Deployment, type SwitchyardConfig } from '@switchyard/config';
import { Commands, Errors, H, type GatewayError, type RouteTrail } from '@switchyard/contracts';
import {
  errorFrame,
  frameKind,
  isNoResponders,
  NATS,
  NATS_CLIENT,
  natsHeaders,
  NatsClient,
  type NatsRequest,
} from '@switchyard/nats';
import type { NatsConnection } from '@nats-io/transport-node';
import { pickWeighted, resolveGroup, type ModelCatalog } from '@switchyard/routing';
import { readTimeoutMs } from './timeout';

/** One request being routed: what every attempt of it needs. */
interface Routing {
  request: NatsRequest;
  requestId: string;
  /** The gateway's reply subject: data frames go there straight from the translator. */
  clientReply: string;
  /** performance.now() past which nobody waits for the answer. */
  deadline: number;
  trail: RouteTrail;
}

/**
 * Routes one request: resolves the model to a group, picks a deployment, and hands the untouched body to
 * a translator as attempt 1. The translator answers the gateway directly; only the attempt's outcome
 * comes back here, which keeps the router off the path of response bytes and stream chunks. An attempt
 * that failed before committing (nothing reached the client) comes back as an error outcome: today it is
 * relayed to the client; retries and fallbacks will decide here (the attempt number and the route trail
 * already travel with every attempt).
 */
@Injectable()
export class RequestRouter implements BeforeApplicationShutdown {
  private readonly logger = new Logger('RequestRouter');
  private readonly catalog: ModelCatalog<Deployment>;
  static readonly SHUTDOWN_GRACE_MS = 10_000;
  /** Node timers hold at most 2^31-1 ms; a timeout header further out is treated as that far. */
  static readonly MAX_WAIT_MS = 2 ** 31 - 1 - 5_000;
  /** Used when a request carries no (valid) timeout header. */
  static readonly DEFAULT_TIMEOUT_MS = 600_000;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(NATS_CLIENT) private readonly client: NatsClient,
    @Inject(CONFIG) config: SwitchyardConfig,
  ) {
    this.catalog = modelCatalog(config);
  }

  /**
   * Our transport has stopped taking requests by now (it drains when the module is destroyed); give
   * attempts in flight a moment to report: an attempt that fails before its first byte is relayed from
   * here, and dropping it would leave its client waiting for the whole timeout.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const until = Date.now() + RequestRouter.SHUTDOWN_GRACE_MS;
    while (this.client.pending > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    if (this.client.pending) this.logger.warn(`stopping with ${this.client.pending} attempts still in flight`);
  }

  route(request: NatsRequest): void {
    const requestId = request.header(H.requestId);
    if (!request.reply || !requestId) return; // nobody to answer: a malformed publish, not a client request
    const model = request.header(H.model);
    const timeoutMs = readTimeoutMs(request.header(H.timeoutMs), RequestRouter.DEFAULT_TIMEOUT_MS);
    const routing: Routing = {
      request,
      requestId,
      clientReply: request.reply,
      deadline: performance.now() + Math.min(timeoutMs, RequestRouter.MAX_WAIT_MS),
      trail: [],
    };
    const resolved = resolveGroup(this.catalog, model);
    if (!resolved) return this.fail(routing, Errors.modelNotFound(model));
    const deployment = pickWeighted(resolved.deployments);
    if (!deployment) {
      return this.fail(
        routing,
        Errors.unavailable(`No deployment of model group \`${resolved.group}\` can take requests now.`),
      );
    }
    this.dispatch(routing, deployment, 1);
  }

  private dispatch(r: Routing, deployment: Deployment, attempt: number): void {
    const remaining = Math.max(0, r.deadline - performance.now());
    const incoming = r.request.headers!;
    const headers = natsHeaders({
      [H.requestId]: r.requestId,
      [H.stream]: incoming.get(H.stream),
      [H.clientApi]: incoming.get(H.clientApi) || undefined,
      [H.summary]: incoming.get(H.summary) || undefined,
      [H.timeoutMs]: String(Math.round(remaining)),
      [H.deployment]: deployment.id,
      [H.attempt]: String(attempt),
      [H.clientReply]: r.clientReply,
      [H.trail]: r.trail.length > 0 ? JSON.stringify(r.trail) : undefined,
    });
    // Past the deadline (and a second for the translator's own report) nobody waits: stop listening.
    const timer = setTimeout(() => subscription.unsubscribe(), remaining + 1000);
    const subscription = this.client.send(Commands.executeAttempt, { data: r.request.data, headers }).subscribe({
      next: (outcome: Msg) => {
        clearTimeout(timer);
        this.onOutcome(r, outcome);
      },
      error: (e: Error) => {
        clearTimeout(timer);
        this.logger.error(`request ${r.requestId}: could not hand attempt ${attempt} to a translator: ${e.message}`);
        this.fail(r, Errors.unavailable('The router lost its connection to the message bus. Retry in a moment.'));
      },
    });
  }

  private onOutcome(r: Routing, outcome: Msg): void {
    if (isNoResponders(outcome)) {
      return this.fail(
        r,
        Errors.unavailable('No translator service is running to reach the provider. Start apps/translator and retry.'),
      );
    }
    if (frameKind(outcome) === 'error') {
      // Failed before any byte reached the client. Retries and fallbacks will decide here; for now the
      // translator's error goes to the client as it is (it carries its attempt number and meta).
      this.nc.publish(r.clientReply, outcome.data, { headers: outcome.headers });
    }
  }

  private fail(r: Routing, error: GatewayError): void {
    const frame = errorFrame(error, {}, r.requestId);
    try {
      r.request.respond(frame.data, frame.headers);
    } catch (e) {
      this.logger.error(`request ${r.requestId}: could not answer: ${(e as Error).message}`);
    }
  }
}
