import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Msg, MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node';
import { CONFIG, modelCatalog, type Deployment, type SwitchyardConfig } from '@switchyard/config';
import { Errors, H, QUEUE_GROUPS, type GatewayError, type Subjects } from '@switchyard/contracts';
import { errorFrame, INSTANCE_ID, isNoResponders, NATS, natsHeaders, ReplyInbox, SUBJECTS } from '@switchyard/nats';
import { pickWeighted, resolveGroup, type ModelCatalog } from '@switchyard/routing';

/**
 * Routes one chat request: resolves the model to a group, picks a deployment, and hands the untouched
 * body to a translator. The translator answers the gateway directly; only the outcome comes back here,
 * which keeps the router off the path of response bytes and stream chunks.
 */
@Injectable()
export class ChatRouteHandler implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('ChatRouteHandler');
  private readonly catalog: ModelCatalog<Deployment>;
  private sub?: Subscription;
  private inbox?: ReplyInbox;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(SUBJECTS) private readonly subjects: Subjects,
    @Inject(INSTANCE_ID) private readonly instanceId: string,
    @Inject(CONFIG) config: SwitchyardConfig,
  ) {
    this.catalog = modelCatalog(config);
  }

  onApplicationBootstrap(): void {
    this.inbox = new ReplyInbox(this.nc, this.subjects.routerOutcome, this.instanceId, (e, subject) =>
      this.logger.error(`handling the outcome on ${subject} failed: ${e.message}`),
    );
    this.sub = this.nc.subscribe(this.subjects.chatRoute, {
      queue: QUEUE_GROUPS.router,
      callback: (err, msg) => {
        if (err) {
          this.logger.error(`subscription error: ${err.message}`);
          return;
        }
        try {
          this.route(msg);
        } catch (e) {
          this.logger.error(`routing failed: ${(e as Error).message}`);
          this.fail(msg, Errors.internal('The router could not handle this request.'));
        }
      },
    });
  }

  /**
   * Stop taking requests, then give attempts in flight a moment to report: an attempt that fails
   * before its first byte is relayed from here, and dropping it would leave its client waiting for
   * the whole timeout.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.sub?.drain().catch(() => undefined);
    const until = Date.now() + ChatRouteHandler.SHUTDOWN_GRACE_MS;
    while ((this.inbox?.pending ?? 0) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    if (this.inbox?.pending) this.logger.warn(`stopping with ${this.inbox.pending} attempts still in flight`);
  }

  onApplicationShutdown(): void {
    this.sub?.unsubscribe();
    this.inbox?.unsubscribe();
  }

  static readonly SHUTDOWN_GRACE_MS = 10_000;
  /** Node timers hold at most 2^31-1 ms; a deadline header further out is treated as that far. */
  static readonly MAX_WAIT_MS = 2 ** 31 - 1 - 5_000;

  private route(msg: Msg): void {
    const headers = msg.headers;
    const requestId = headers?.get(H.requestId) ?? '';
    const model = headers?.get(H.model) ?? '';
    if (!msg.reply || !requestId) return; // nobody to answer: a malformed publish, not a client request
    const resolved = resolveGroup(this.catalog, model);
    if (!resolved) {
      this.fail(msg, Errors.modelNotFound(model));
      return;
    }
    const deployment = pickWeighted(resolved.deployments);
    if (!deployment) {
      this.fail(msg, Errors.unavailable(`No deployment of model group \`${resolved.group}\` can take requests now.`));
      return;
    }
    this.dispatch(msg, msg.reply, requestId, deployment, headers!);
  }

  private dispatch(msg: Msg, clientReply: string, requestId: string, deployment: Deployment, incoming: MsgHdrs): void {
    const now = Date.now();
    const deadline = Math.min(Number(incoming.get(H.deadline)) || now + 600_000, now + ChatRouteHandler.MAX_WAIT_MS);
    const inbox = this.inbox!;
    const timer = setTimeout(() => outcome.close(), Math.max(0, deadline - Date.now()) + 1000);
    const outcome = inbox.open((reply) => {
      clearTimeout(timer);
      outcome.close();
      if (isNoResponders(reply)) {
        this.fail(
          msg,
          Errors.unavailable(
            'No translator service is running to reach the provider. Start apps/translator and retry.',
          ),
        );
        return;
      }
      if (reply.headers?.get(H.frame) === 'error') {
        // Failed before any byte reached the client. Retries and fallbacks will decide here; for now the
        // translator's error goes to the client as it is.
        this.nc.publish(clientReply, reply.data, { headers: reply.headers });
      }
    });
    this.nc.publish(this.subjects.chatExecute, msg.data, {
      reply: outcome.subject,
      headers: natsHeaders({
        [H.requestId]: requestId,
        [H.stream]: incoming.get(H.stream),
        [H.deadline]: String(deadline),
        [H.deployment]: deployment.id,
        [H.clientReply]: clientReply,
      }),
    });
  }

  private fail(msg: Msg, error: GatewayError): void {
    if (!msg.reply) return;
    const frame = errorFrame(error, {}, msg.headers?.get(H.requestId));
    msg.respond(frame.data, { headers: frame.headers });
  }
}
