import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Msg } from '@nats-io/transport-node';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { CONFIG, modelCatalog, type Deployment, type SwitchyardConfig } from '@switchyard/config';
import { Commands, Errors, Events, H, type FrameMeta, type GatewayError } from '@switchyard/contracts';
import {
  frameAttempt,
  frameKind,
  isNoResponders,
  NATS_CLIENT,
  NatsClient,
  natsHeaders,
  parseMeta,
  readErrorFrame,
} from '@switchyard/nats';
import { resolveGroup, type ModelCatalog } from '@switchyard/routing';
import { AuthService, mayUseModel, type Principal } from '../auth/auth.service';
import { sendError, writeError } from '../http/send-error';
import { UsagePublisherService } from '../usage/usage-publisher.service';
import { openAIChatCodec as codec } from '../codecs/openai-chat.codec';
import { validateChatRequest, type ChatRequestSummary } from './chat-request.validator';

const EMPTY = new Uint8Array(0);

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
export class ChatService {
  private readonly logger = new Logger('ChatService');
  private readonly catalog: ModelCatalog<Deployment>;
  private readonly timeoutMs: number;
  /** How much longer than the translator's deadline we wait for its final report. */
  static readonly TIMEOUT_GRACE_MS = 2000;

  constructor(
    @Inject(NATS_CLIENT) private readonly client: NatsClient,
    @Inject(CONFIG) config: SwitchyardConfig,
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(UsagePublisherService) private readonly usage: UsagePublisherService,
  ) {
    this.catalog = modelCatalog(config);
    this.timeoutMs = config.routerSettings.timeoutMs;
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
    const outcome = await this.relay(requestId, base.summary!, req, reply);
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
  ): Promise<Outcome> {
    const raw = (req as FastifyRequest & { rawBody?: Buffer }).rawBody!;
    // From here on the response is written by hand, frame by frame, without Fastify's serialisation.
    reply.hijack();
    return new Promise<Outcome>((resolve) => {
      let streaming = false;
      let finished = false;
      /** The attempt whose frames the client gets: the first to send content. 0 until one does. */
      let committed = 0;
      /** Filled once the request is on its way; read by finish(), which may run before that. */
      const replies: { subscription?: { unsubscribe(): void } } = {};
      const outcome: Outcome = { status: 0 };
      const res = reply.raw;

      const finish = (status: number, extra?: Partial<Outcome>) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        replies.subscription?.unsubscribe();
        Object.assign(outcome, extra);
        outcome.status = status;
        resolve(outcome);
      };
      const fail = (error: GatewayError, meta?: FrameMeta) => {
        if (streaming) {
          // Headers are gone: tell an SSE client in-band, as OpenAI does, then end the stream.
          res.end(codec.streamError(error));
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
      const onFrame = (msg: Msg): void => {
        if (isNoResponders(msg)) {
          fail(Errors.unavailable('No router service is running to take this request. Start apps/router and retry.'));
          return;
        }
        const kind = frameKind(msg);
        const attempt = frameAttempt(msg);
        // Frames of an attempt other than the one that committed are never the client's (an attempt the
        // router gave up on may still be sending). Errors before any commit come from the router.
        if (committed === 0) {
          if (kind === 'chunk' || kind === 'part' || kind === 'response' || kind === 'done') committed = attempt;
        } else if (attempt !== committed) {
          return;
        }
        switch (kind) {
          case 'chunk':
            if (!streaming) {
              streaming = true;
              outcome.firstByteAt = performance.now();
              if (!res.headersSent) res.writeHead(200, { ...codec.streamHeaders, 'x-request-id': requestId });
            }
            res.write(msg.data);
            return;
          case 'done': {
            const meta = parseMeta(msg);
            if (!res.headersSent) res.writeHead(200, { ...codec.streamHeaders, 'x-request-id': requestId });
            streaming = true;
            res.end(codec.terminator);
            finish(200, { meta });
            return;
          }
          case 'part':
            // A leading piece of an answer too large for one NATS message: sent on as it comes, chunked.
            if (!res.headersSent) {
              outcome.firstByteAt = performance.now();
              res.writeHead(200, { 'content-type': codec.jsonContentType, 'x-request-id': requestId });
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
                'content-type': codec.jsonContentType,
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
            const error = readErrorFrame(msg, meta);
            if (!streaming && !res.headersSent) {
              writeError(res, error, { 'x-request-id': requestId }, codec);
              finish(error.status, { meta, errorType: meta?.errorType ?? error.type });
            } else {
              fail(error, meta);
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
        try {
          this.client.notify(Events.attemptCancel, {
            data: EMPTY,
            headers: natsHeaders({ [H.requestId]: requestId }),
          });
        } catch (e) {
          this.logger.warn(`request ${requestId}: could not tell translators the client left: ${(e as Error).message}`);
        }
      });

      replies.subscription = this.client
        .send(Commands.routeRequest, {
          data: raw,
          headers: natsHeaders({
            [H.requestId]: requestId,
            [H.model]: summary.model,
            [H.stream]: summary.stream ? '1' : '0',
            [H.clientApi]: codec.api,
            [H.timeoutMs]: String(this.timeoutMs),
          }),
        })
        .subscribe({
          next: (msg: Msg) => {
            if (finished) return;
            try {
              onFrame(msg);
            } catch (e) {
              // A frame we cannot relay (it breaks the protocol): end this request, never the connection.
              this.logger.error(`request ${requestId}: could not relay a frame: ${(e as Error).message}`);
              fail(Errors.upstreamFailed('The answer could not be relayed. Retry the request.'));
            }
          },
          error: (e: Error) => {
            // Closed or draining connection (the body limit already keeps bodies under max_payload).
            this.logger.error(`request ${requestId}: could not hand the request to NATS: ${e.message}`);
            fail(Errors.unavailable('The gateway lost its connection to the message bus. Retry in a moment.'));
          },
        });
      if (finished) replies.subscription.unsubscribe();
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
      fallbackDepth: meta?.fallbackDepth ?? Math.max(0, (meta?.trail?.length ?? 1) - 1),
      tags: base.summary?.tags ?? [],
      attempts: meta?.trail ?? [],
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

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
