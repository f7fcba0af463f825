import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { CONFIG, modelCatalog, type Deployment, type SwitchyardConfig } from '@switchyard/config';
import { Errors, H, type FrameMeta, type GatewayError, type Subjects } from '@switchyard/contracts';
import { INSTANCE_ID, isNoResponders, NATS, natsHeaders, ReplyInbox, SUBJECTS } from '@switchyard/nats';
import { resolveGroup, type ModelCatalog } from '@switchyard/routing';
import { AuthService, mayUseModel, type Principal } from '../auth/auth.service';
import { sendError, writeError } from '../http/send-error';
import { UsagePublisherService } from '../usage/usage-publisher.service';
import { validateChatRequest, type ChatRequestSummary } from './chat-request.validator';

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};
const DONE = Buffer.from('data: [DONE]\n\n');

/** What one request has learnt by the time it ends; becomes its usage event. */
interface Outcome {
  status: number;
  meta?: FrameMeta;
  errorType?: string;
  /** performance.now() when the first byte went to the client. */
  firstByteAt?: number;
}

/**
 * The gateway's side of a chat completion: authenticate, validate, hand the body to the router over
 * NATS, then relay the frames the translator sends to this request's reply subject to the client.
 */
@Injectable()
export class ChatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ChatService');
  private inbox!: ReplyInbox;
  private readonly catalog: ModelCatalog<Deployment>;
  private readonly timeoutMs: number;
  /** How much longer than the translator's deadline we wait for its final report. */
  static readonly TIMEOUT_GRACE_MS = 2000;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(SUBJECTS) private readonly subjects: Subjects,
    @Inject(INSTANCE_ID) private readonly instanceId: string,
    @Inject(CONFIG) config: SwitchyardConfig,
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(UsagePublisherService) private readonly usage: UsagePublisherService,
  ) {
    this.catalog = modelCatalog(config);
    this.timeoutMs = config.routerSettings.timeoutMs;
  }

  onApplicationBootstrap(): void {
    this.inbox = new ReplyInbox(this.nc, this.subjects.gatewayReply, this.instanceId, (e, subject) =>
      this.logger.error(`relaying a frame from ${subject} failed: ${e.message}`),
    );
  }

  onApplicationShutdown(): void {
    this.inbox?.unsubscribe();
  }

  async complete(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { requestId, startedAt, t0 } = beginRequest();
    reply.header('x-request-id', requestId);
    const auth = await this.auth.authenticate(req.headers.authorization, header(req.headers['api-key']));
    const principal: Principal | undefined = auth.ok ? auth.principal : undefined;
    const summary = auth.ok ? validateChatRequest(req.body) : undefined;
    const base = { requestId, startedAt, t0, principal, summary: summary?.ok ? summary.value : undefined };

    const rejection = !auth.ok
      ? auth.error
      : summary && !summary.ok
        ? summary.error
        : this.checkModel(principal!, base.summary!.model);
    if (rejection) {
      sendError(reply, rejection);
      this.record(base, { status: rejection.status, errorType: rejection.type });
      return;
    }
    const outcome = await this.relay(requestId, base.summary!, req, reply, startedAt);
    this.record(base, outcome);
  }

  /**
   * A chat completion refused before our handler ran (its body could not be parsed, or was too large):
   * it still gets a request id and a usage event, attributed to its key when the key is valid.
   */
  recordRejection(req: FastifyRequest, error: GatewayError): string {
    const { requestId, startedAt, t0 } = beginRequest();
    void this.auth
      .authenticate(req.headers.authorization, header(req.headers['api-key']))
      .then(
        (auth) => (auth.ok ? auth.principal : undefined),
        () => undefined,
      )
      .then((principal) =>
        this.record({ requestId, startedAt, t0, principal }, { status: error.status, errorType: error.type }),
      );
    return requestId;
  }

  private checkModel(principal: Principal, model: string): GatewayError | undefined {
    if (!mayUseModel(principal, model) || !resolveGroup(this.catalog, model)) return Errors.modelNotFound(model);
    return undefined;
  }

  /** Sends the request on its way and writes what comes back; resolves when the client's answer is complete. */
  private relay(
    requestId: string,
    summary: ChatRequestSummary,
    req: FastifyRequest,
    reply: FastifyReply,
    startedAt: number,
  ): Promise<Outcome> {
    const raw = (req as FastifyRequest & { rawBody?: Buffer }).rawBody!;
    const deadline = startedAt + this.timeoutMs;
    // From here on the response is written by hand, frame by frame, without Fastify's serialisation.
    reply.hijack();
    return new Promise<Outcome>((resolve) => {
      let streaming = false;
      let finished = false;
      const outcome: Outcome = { status: 0 };
      const res = reply.raw;

      const finish = (status: number, extra?: Partial<Outcome>) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        channel.close();
        Object.assign(outcome, extra);
        outcome.status = status;
        resolve(outcome);
      };
      const fail = (error: GatewayError, meta?: FrameMeta) => {
        if (streaming) {
          // Headers are gone: tell an SSE client in-band, as OpenAI does, then end the stream.
          res.end(
            `data: ${JSON.stringify({ error: { message: error.message, type: error.type, param: error.param, code: error.code } })}\n\n`,
          );
        } else if (!res.headersSent) {
          writeError(res, error, { 'x-request-id': requestId });
        } else {
          // Part of a JSON body is out: cutting the connection is the only honest way to say it is incomplete.
          res.destroy();
        }
        // A client that went away keeps that reason, whatever error the upstream side ended with.
        finish(error.status, { meta, errorType: outcome.errorType ?? error.type });
      };

      // The translator gives up at `deadline` and reports what it knows (deployment, usage); we wait a
      // little longer so that report, not our own timeout, ends the request.
      const timer = setTimeout(
        () =>
          fail(
            Errors.timeout(
              `The model did not answer within ${Math.round(this.timeoutMs / 1000)} s (router_settings.timeout). Retry, or raise the timeout.`,
            ),
          ),
        this.timeoutMs + ChatService.TIMEOUT_GRACE_MS,
      );
      const channel = this.inbox.open((msg: Msg) => {
        if (finished) return;
        try {
          onFrame(msg);
        } catch (e) {
          // A frame we cannot relay (it breaks the protocol): end this request, never the connection.
          this.logger.error(`request ${requestId}: could not relay a frame: ${(e as Error).message}`);
          fail(Errors.upstreamFailed('The answer could not be relayed. Retry the request.'));
        }
      });
      const onFrame = (msg: Msg): void => {
        if (isNoResponders(msg)) {
          fail(Errors.unavailable('No router service is running to take this request. Start apps/router and retry.'));
          return;
        }
        switch (msg.headers?.get(H.frame)) {
          case 'chunk':
            if (!streaming) {
              streaming = true;
              outcome.firstByteAt = performance.now();
              if (!res.headersSent) res.writeHead(200, { ...SSE_HEADERS, 'x-request-id': requestId });
            }
            res.write(msg.data);
            return;
          case 'done': {
            const meta = parseMeta(msg);
            if (!res.headersSent) res.writeHead(200, { ...SSE_HEADERS, 'x-request-id': requestId });
            streaming = true;
            res.end(DONE);
            finish(200, { meta });
            return;
          }
          case 'part':
            // A leading piece of an answer too large for one NATS message: sent on as it comes, chunked.
            if (!res.headersSent) {
              outcome.firstByteAt = performance.now();
              res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': requestId });
            }
            res.write(msg.data);
            return;
          case 'response': {
            const meta = parseMeta(msg);
            if (res.headersSent) {
              res.end(msg.data);
            } else {
              outcome.firstByteAt = performance.now();
              res.writeHead(200, {
                'content-type': 'application/json',
                'content-length': msg.data.length,
                'x-request-id': requestId,
              });
              res.end(msg.data);
            }
            finish(200, { meta });
            return;
          }
          case 'error': {
            const meta = parseMeta(msg);
            const status = meta?.status ?? 502;
            if (!streaming && !res.headersSent) {
              const h: Record<string, string | number> = {
                'content-type': 'application/json',
                'x-request-id': requestId,
              };
              if (meta?.retryAfter !== undefined) h['retry-after'] = String(Math.ceil(meta.retryAfter));
              res.writeHead(status, h);
              res.end(msg.data);
              finish(status, { meta, errorType: meta?.errorType });
            } else {
              fail({ ...Errors.upstreamFailed('The upstream stream failed part-way.'), status }, meta);
            }
            return;
          }
          default:
            this.logger.warn(`request ${requestId}: ignoring a frame of unknown kind`);
        }
      };

      // A client that goes away: the translator stops the upstream call, and we keep listening until it
      // reports the tokens used so far, so the request is still billed and recorded (status 499).
      res.on('close', () => {
        if (res.writableFinished || finished) return;
        outcome.errorType = 'client_disconnected';
        this.nc.publish(this.subjects.chatCancel, undefined, { headers: natsHeaders({ [H.requestId]: requestId }) });
      });

      try {
        this.nc.publish(this.subjects.chatRoute, raw, {
          reply: channel.subject,
          headers: natsHeaders({
            [H.requestId]: requestId,
            [H.model]: summary.model,
            [H.stream]: summary.stream ? '1' : '0',
            [H.deadline]: String(deadline),
          }),
        });
      } catch (e) {
        // Closed or draining connection (the body limit already keeps bodies under max_payload).
        this.logger.error(`request ${requestId}: could not hand the request to NATS: ${(e as Error).message}`);
        fail(Errors.unavailable('The gateway lost its connection to the message bus. Retry in a moment.'));
      }
    });
  }

  private record(
    base: { requestId: string; startedAt: number; t0: number; principal?: Principal; summary?: ChatRequestSummary },
    outcome: Outcome,
  ): void {
    const meta = outcome.meta;
    const u = meta?.usage;
    const status = outcome.errorType === 'client_disconnected' ? 499 : outcome.status;
    this.usage.publish({
      requestId: base.requestId,
      ts: base.startedAt,
      keyId: base.principal?.keyId ?? null,
      teamId: base.principal?.teamId ?? null,
      userId: null,
      endUser: base.summary?.user ?? null,
      requestedModel: (base.summary?.model ?? '').slice(0, 256),
      deploymentId: meta?.deploymentId ?? null,
      provider: meta?.provider ?? null,
      upstreamModel: meta?.upstreamModel ?? null,
      status,
      errorType: outcome.errorType ?? meta?.errorType ?? null,
      promptTokens: u?.promptTokens ?? 0,
      completionTokens: u?.completionTokens ?? 0,
      cachedTokens: u?.cachedTokens ?? 0,
      cacheWriteTokens: u?.cacheWriteTokens ?? 0,
      reasoningTokens: u?.reasoningTokens ?? 0,
      latencyMs: performance.now() - base.t0,
      ttftMs: base.summary?.stream && outcome.firstByteAt ? outcome.firstByteAt - base.t0 : null,
      stream: base.summary?.stream ?? false,
      cacheHit: false,
      fallbackDepth: meta?.fallbackDepth ?? 0,
      tags: base.summary?.tags ?? [],
    });
  }
}

/**
 * A request's identity and clocks: `startedAt` (wall clock) dates its usage event, while durations come
 * from `t0` on the monotonic clock, so a wall clock stepped back mid-request never yields a negative latency.
 */
function beginRequest(): { requestId: string; startedAt: number; t0: number } {
  return { requestId: `req_${randomUUID().replace(/-/g, '')}`, startedAt: Date.now(), t0: performance.now() };
}

function parseMeta(msg: Msg): FrameMeta | undefined {
  const raw = msg.headers?.get(H.meta);
  if (!raw) return undefined;
  try {
    // Written by our translator or router from the same FrameMeta type; a schema pass here would only
    // cost time on every request. The status must still be one Node can write.
    const meta = JSON.parse(raw) as FrameMeta;
    const status = (meta as { status?: unknown } | null)?.status;
    return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599 ? meta : undefined;
  } catch {
    return undefined;
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
