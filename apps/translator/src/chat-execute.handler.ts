import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  headers as natsHeaders,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import {
  errorBody,
  FRAME_HEADER_ROOM,
  H,
  QUEUE_GROUPS,
  type FrameKind,
  type FrameMeta,
  type GatewayError,
  type Subjects,
  type TokenUsage,
} from '@switchyard/contracts';
import { NATS, SUBJECTS } from '@switchyard/nats';
import {
  estimateUsage,
  promptCharsOf,
  ProviderError,
  SseParser,
  transportError,
  upstreamTimeout,
  type ChatCompletionRequest,
  type ChatInput,
  type StreamState,
  type UpstreamRequest,
} from '@switchyard/providers';
import { performance } from 'node:perf_hooks';
import { DeploymentCatalog, type PreparedDeployment } from './deployment-catalog.service';
import { TRANSLATOR_OPTIONS, type TranslatorOptions } from './translator.options';
import { UpstreamPools } from './upstream-pools.service';

/** Chunk frames carry nothing but their kind: one shared header set (NATS encodes headers at publish time). */
const CHUNK_HEADERS = frameHeaders('chunk');
const PART_OPTS = { headers: frameHeaders('part') };
const CHUNK_OPTS = { headers: CHUNK_HEADERS };
const EMPTY = new Uint8Array(0);
/** Error bodies are read to classify the failure; past this size the rest is dropped. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
/**
 * A cancel can overtake its request (the client left while the router was still choosing a deployment);
 * its id is remembered this long, so the attempt that arrives afterwards is not started at all.
 */
const EARLY_CANCEL_TTL_MS = 60_000;
const EARLY_CANCEL_MAX = 10_000;
/** What an attempt ended by a client that went away reports: nginx's "client closed request". */
const CLIENT_DISCONNECTED: GatewayError = {
  status: 499,
  type: 'client_disconnected',
  code: 'client_disconnected',
  param: null,
  retryable: false,
  message: 'The client closed the connection before the answer was complete; the upstream call was stopped.',
};
const NO_USAGE: TokenUsage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0, reasoningTokens: 0 };

function frameHeaders(kind: FrameKind, meta?: FrameMeta, requestId?: string): MsgHdrs {
  const h = natsHeaders();
  h.set(H.frame, kind);
  if (meta !== undefined) h.set(H.meta, JSON.stringify(meta));
  if (requestId) h.set(H.requestId, requestId);
  return h;
}

/** An upstream answer: HTTP (undici body stream) or in process (array of pieces); both are iterable. */
interface UpstreamReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** Releases an unread HTTP body (so the socket is freed); no-op in process. */
  discard: () => void;
}

/** One attempt's bookkeeping; registered by request id while in flight, so a cancel can reach it. */
interface Attempt {
  msg: Msg;
  requestId: string;
  clientReply: string;
  prepared: PreparedDeployment;
  input: ChatInput;
  t0: number;
  abort: AbortController;
  timedOut: boolean;
  /** The attempt's final frame and outcome were sent (or are being sent): nothing more may be published. */
  settled: boolean;
  /** The stream's translator state once the stream started: usage and generated characters so far. */
  stream?: Readonly<StreamState>;
  ttftMs?: number;
}

/**
 * Runs chat attempts for the router: `subjects.chatExecute`, queue group `translator`. Answers go straight
 * to the gateway's reply subject (H.clientReply) as they arrive; the outcome (meta only, or the error when
 * nothing reached the client yet) goes to the router through msg.reply.
 */
@Injectable()
export class ChatExecuteHandler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ChatExecuteHandler');
  private sub?: Subscription;
  private cancelSub?: Subscription;
  private inflight = 0;
  /** In-flight attempts by request id. */
  private readonly attempts = new Map<string, Attempt>();
  /** Request ids cancelled before their attempt arrived → when to forget them (insertion order = age). */
  private readonly earlyCancels = new Map<string, number>();

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(SUBJECTS) private readonly subjects: Subjects,
    @Inject(DeploymentCatalog) private readonly catalog: DeploymentCatalog,
    @Inject(UpstreamPools) private readonly pools: UpstreamPools,
    @Inject(TRANSLATOR_OPTIONS) private readonly options: TranslatorOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.nc.subscribe(this.subjects.chatExecute, {
      queue: QUEUE_GROUPS.translator,
      callback: (err, msg) => {
        if (err) {
          this.logger.error(`subscription error: ${err.message}`);
          return;
        }
        this.handle(msg).catch((e: unknown) => {
          // Only a bug gets here: every expected failure is turned into an error outcome inside handle().
          this.logger.error(
            `request ${msg.headers?.get(H.requestId) ?? '?'}: unexpected failure: ${(e as Error).message}`,
          );
          this.replyError(msg, msg.headers?.get(H.requestId) ?? '', undefined, {
            status: 500,
            type: 'api_error',
            code: 'internal_error',
            param: null,
            retryable: true,
            message:
              'The translator failed unexpectedly while running this request. Retry it; if it keeps failing, check the translator logs.',
          });
        });
      },
    });
    // Broadcast, no queue group: every instance hears every cancel, and the one holding the request acts.
    this.cancelSub = this.nc.subscribe(this.subjects.chatCancel, {
      callback: (err, msg) => {
        if (err) {
          this.logger.error(`cancel subscription error: ${err.message}`);
          return;
        }
        this.cancel(msg.headers?.get(H.requestId) ?? '');
      },
    });
    this.logger.log(
      `listening on ${this.subjects.chatExecute} (queue ${QUEUE_GROUPS.translator}) with ${this.catalog.size} deployment(s)`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    // drain() lets in-flight callbacks start; their upstream calls finish before NATS itself drains.
    await Promise.all([this.sub?.drain(), this.cancelSub?.drain()]).catch(() => undefined);
  }

  /**
   * The client of `requestId` went away: abort the upstream call and end the attempt with a 499 carrying
   * the best usage known, so the request is still billed. Ignored when the attempt is not in flight here.
   */
  cancel(requestId: string): void {
    if (!requestId) return;
    const a = this.attempts.get(requestId);
    if (a === undefined) {
      this.rememberEarlyCancel(requestId);
      return;
    }
    if (!settle(a)) return; // its answer is already complete
    a.abort.abort();
    // Usage the upstream reported wins; otherwise an estimate from characters, since OpenAI reports usage
    // only at the end of a stream and a call aborted earlier reports none.
    const usage =
      a.stream?.usage ??
      estimateUsage({
        promptChars: promptCharsOf(a.input.body.messages),
        completionChars: a.stream?.generatedChars ?? 0,
      });
    this.logger.debug(`request ${requestId}: client disconnected, upstream call aborted`);
    this.endCancelled(a.msg, requestId, a.clientReply, a.prepared, a.t0, usage, a.ttftMs);
  }

  /** One final `error` frame (499) to the client, and a `done` outcome to the router so it does not retry or relay. */
  private endCancelled(
    msg: Msg,
    requestId: string,
    clientReply: string,
    prepared: PreparedDeployment | undefined,
    t0: number,
    usage: TokenUsage,
    ttftMs?: number,
  ): void {
    const meta: FrameMeta = prepared
      ? { ...this.meta(prepared, CLIENT_DISCONNECTED.status, usage, t0, ttftMs), ...errorMeta(CLIENT_DISCONNECTED) }
      : {
          status: CLIENT_DISCONNECTED.status,
          usage,
          latencyMs: round(performance.now() - t0),
          ...errorMeta(CLIENT_DISCONNECTED),
        };
    this.nc.publish(clientReply, Buffer.from(JSON.stringify(errorBody(CLIENT_DISCONNECTED)), 'utf8'), {
      headers: frameHeaders('error', meta, requestId),
    });
    if (msg.reply) msg.respond(EMPTY, { headers: frameHeaders('done', meta, requestId) });
  }

  private rememberEarlyCancel(requestId: string): void {
    const now = Date.now();
    for (const [id, expires] of this.earlyCancels) {
      if (expires > now && this.earlyCancels.size < EARLY_CANCEL_MAX) break;
      this.earlyCancels.delete(id);
    }
    this.earlyCancels.set(requestId, now + EARLY_CANCEL_TTL_MS);
  }

  /** True (and forgotten) when `requestId` was cancelled before its attempt arrived. */
  private takeEarlyCancel(requestId: string): boolean {
    const expires = this.earlyCancels.get(requestId);
    if (expires === undefined) return false;
    this.earlyCancels.delete(requestId);
    return expires > Date.now();
  }

  get inflightCount(): number {
    return this.inflight;
  }

  async handle(msg: Msg): Promise<void> {
    const t0 = performance.now();
    const h = msg.headers;
    if (!msg.reply || !h) return; // not a router request: nobody to answer
    const requestId = h.get(H.requestId);
    const clientReply = h.get(H.clientReply);
    const deploymentId = h.get(H.deployment);
    const prepared = this.catalog.get(deploymentId);
    if (!clientReply) {
      return this.replyError(
        msg,
        requestId,
        prepared,
        badRequest(`The ${H.clientReply} header is missing; the router must send the gateway's reply subject.`),
      );
    }
    if (requestId && this.takeEarlyCancel(requestId)) {
      // The client left before this attempt got here: no upstream call, so no tokens to bill.
      return this.endCancelled(msg, requestId, clientReply, prepared, t0, NO_USAGE);
    }
    if (prepared === undefined) {
      return this.replyError(msg, requestId, undefined, {
        status: 503,
        type: 'api_error',
        code: 'unknown_deployment',
        param: null,
        retryable: true,
        message: `Deployment '${deploymentId}' is not in this translator's config. Make sure every service loads the same SWITCHYARD_CONFIG and restart the translator after changing it.`,
      });
    }
    if (prepared.unavailable !== undefined || prepared.adapter === undefined) {
      return this.replyError(msg, requestId, prepared, prepared.unavailable!);
    }

    const body = parseBody(msg.data);
    if (typeof body === 'string') return this.replyError(msg, requestId, prepared, badRequest(body));
    const input: ChatInput = { body, raw: msg.data, stream: body.stream === true };

    const deadlineHeader = Number(h.get(H.deadline));
    const deadline =
      Number.isFinite(deadlineHeader) && deadlineHeader > 0
        ? deadlineHeader
        : Date.now() + this.options.defaultTimeoutMs;
    let budget = deadline - Date.now();
    const depTimeout = prepared.deployment.timeoutMs;
    if (depTimeout !== undefined && depTimeout < budget) budget = depTimeout;
    if (budget <= 0) return this.replyError(msg, requestId, prepared, upstreamTimeout(prepared.ctx, 0));

    let request: UpstreamRequest;
    try {
      request = prepared.adapter.buildRequest(input, prepared.deployment);
    } catch (e) {
      return this.replyError(
        msg,
        requestId,
        prepared,
        e instanceof ProviderError ? e.gatewayError : misconfigured(prepared, e as Error),
      );
    }

    const abort = new AbortController();
    const attempt: Attempt = {
      msg,
      requestId,
      clientReply,
      prepared,
      input,
      t0,
      abort,
      timedOut: false,
      settled: false,
    };
    const timer = setTimeout(() => {
      attempt.timedOut = true;
      abort.abort();
    }, budget);
    if (requestId) this.attempts.set(requestId, attempt);
    this.inflight++;
    try {
      // Once cancelled, an upstream failure is only the abort we caused: the 499 was sent, nothing more is.
      const reply = abort.signal.aborted ? new Error('aborted') : await this.call(prepared, request, abort.signal);
      if (reply instanceof Error) {
        if (!settle(attempt)) return;
        return this.replyError(msg, requestId, prepared, transportError(reply, prepared.ctx, attempt.timedOut), t0);
      }
      if (attempt.settled) return reply.discard();
      if (reply.status < 200 || reply.status >= 300) return await this.upstreamFailed(attempt, reply);
      if (input.stream) await this.relayStream(attempt, input, reply);
      else await this.relayResponse(attempt, input, reply);
    } finally {
      clearTimeout(timer);
      this.inflight--;
      if (this.attempts.get(requestId) === attempt) this.attempts.delete(requestId);
    }
  }

  /** Performs the described request: through the origin's keep-alive pool, or in process. Transport failures come back as the Error. */
  private async call(
    prepared: PreparedDeployment,
    request: UpstreamRequest,
    signal: AbortSignal,
  ): Promise<UpstreamReply | Error> {
    const adapter = prepared.adapter!;
    if (adapter.transport === 'in-process') {
      const local = adapter.serve!(request);
      return { status: local.status, headers: local.headers, body: local.chunks, discard: () => undefined };
    }
    if (request.url !== prepared.lastUrl) {
      const u = new URL(request.url);
      prepared.origin = u.origin;
      prepared.path = `${u.pathname}${u.search}`;
      prepared.lastUrl = request.url;
      prepared.ctx.origin = u.origin;
    }
    try {
      const res = await this.pools.get(prepared.origin).request({
        path: prepared.path,
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal,
      });
      return {
        status: res.statusCode,
        headers: res.headers,
        body: res.body,
        discard: () => void res.body.dump().catch(() => undefined),
      };
    } catch (e) {
      return e as Error;
    }
  }

  private async relayResponse(a: Attempt, input: ChatInput, reply: UpstreamReply): Promise<void> {
    let bytes: Buffer;
    try {
      bytes = await readAll(reply.body, Infinity);
    } catch (e) {
      if (!settle(a)) return;
      return this.replyError(a.msg, a.requestId, a.prepared, transportError(e, a.prepared.ctx, a.timedOut), a.t0);
    }
    if (!settle(a)) return;
    let parsed;
    try {
      parsed = a.prepared.adapter!.parseResponse(bytes.toString('utf8'), input);
    } catch (e) {
      if (!(e instanceof ProviderError)) throw e;
      return this.replyError(a.msg, a.requestId, a.prepared, e.gatewayError, a.t0);
    }
    const meta = this.meta(a.prepared, 200, parsed.usage, a.t0);
    const hdrs = frameHeaders('response', meta, a.requestId);
    const body = parsed.body === null ? bytes : Buffer.from(parsed.body, 'utf8');
    // A body larger than one NATS message may carry goes ahead in `part` frames; `response` ends it.
    const room = Math.max(64 * 1024, this.nc.info!.max_payload - FRAME_HEADER_ROOM);
    let offset = 0;
    for (; body.length - offset > room; offset += room) {
      this.nc.publish(a.clientReply, body.subarray(offset, offset + room), PART_OPTS);
    }
    this.nc.publish(a.clientReply, offset ? body.subarray(offset) : body, { headers: hdrs });
    a.msg.respond(EMPTY, { headers: hdrs });
  }

  private async relayStream(a: Attempt, input: ChatInput, reply: UpstreamReply): Promise<void> {
    const translator = a.prepared.adapter!.createStreamTranslator({
      includeUsage: input.body.stream_options?.include_usage === true,
    });
    const state = translator.state;
    a.stream = state;
    const parser = new SseParser();
    let sentAny = false;
    let failure: GatewayError | undefined;

    const feed = (events: ReturnType<SseParser['push']>): void => {
      if (a.settled) return; // cancelled: the client is gone
      let out = '';
      for (let i = 0; i < events.length; i++) {
        out += translator.push(events[i]!);
        if (a.ttftMs === undefined && state.contentSeen) a.ttftMs = performance.now() - a.t0;
        if (state.error !== undefined) break;
      }
      if (out.length > 0) {
        this.nc.publish(a.clientReply, Buffer.from(out, 'utf8'), CHUNK_OPTS);
        sentAny = true;
      }
    };

    try {
      if (Array.isArray(reply.body)) {
        // In process, every piece is already here: feeding them in one tick lets NATS send all the
        // frames in one socket write instead of one write per frame.
        for (const piece of reply.body as Uint8Array[]) {
          feed(parser.push(piece));
          if (state.error !== undefined) break;
        }
      } else {
        for await (const piece of reply.body) {
          feed(parser.push(piece));
          if (state.error !== undefined || a.settled) break;
        }
      }
      if (state.error === undefined && !a.settled) {
        feed(parser.end());
        translator.end();
      }
      failure = state.error;
    } catch (e) {
      failure = transportError(e, a.prepared.ctx, a.timedOut);
    }
    if (failure !== undefined || a.settled) reply.discard();
    if (!settle(a)) return; // cancelled: the 499 went out already, and the abort is no failure
    const ttftMs = a.ttftMs;

    if (failure === undefined) {
      const meta = this.meta(a.prepared, 200, state.usage, a.t0, ttftMs);
      const hdrs = frameHeaders('done', meta, a.requestId);
      this.nc.publish(a.clientReply, EMPTY, { headers: hdrs });
      a.msg.respond(EMPTY, { headers: hdrs });
      return;
    }
    if (!sentAny) return this.replyError(a.msg, a.requestId, a.prepared, failure, a.t0);

    // Part of the answer already reached the client: end its stream with the error, and tell the router
    // the attempt is over with a `done` outcome carrying the error status, so it does not retry into a
    // stream that has already begun.
    const meta: FrameMeta = {
      ...this.meta(a.prepared, failure.status, state.usage, a.t0, ttftMs),
      ...errorMeta(failure),
    };
    this.logFailure(a.requestId, a.prepared, failure, true);
    this.nc.publish(a.clientReply, Buffer.from(JSON.stringify(errorBody(failure)), 'utf8'), {
      headers: frameHeaders('error', meta, a.requestId),
    });
    a.msg.respond(EMPTY, { headers: frameHeaders('done', meta, a.requestId) });
  }

  private async upstreamFailed(a: Attempt, reply: UpstreamReply): Promise<void> {
    let text = '';
    try {
      text = (await readAll(reply.body, MAX_ERROR_BODY_BYTES)).toString('utf8');
    } catch {
      // The status is what matters; a body cut short only loses detail.
    }
    if (!settle(a)) return;
    const error = a.prepared.adapter!.normaliseError(
      { status: reply.status, body: text, headers: reply.headers },
      a.prepared.deployment,
    );
    this.replyError(a.msg, a.requestId, a.prepared, error, a.t0, reply.status);
  }

  /** Failure before anything reached the client: only the router hears of it (it relays or retries). */
  private replyError(
    msg: Msg,
    requestId: string,
    prepared: PreparedDeployment | undefined,
    error: GatewayError,
    t0?: number,
    upstreamStatus?: number,
  ): void {
    if (!msg.reply) return;
    const meta: FrameMeta = { status: error.status, ...errorMeta(error) };
    if (prepared !== undefined) {
      meta.deploymentId = prepared.deployment.id;
      meta.provider = prepared.deployment.provider;
      meta.upstreamModel = prepared.deployment.model;
    }
    if (t0 !== undefined) meta.latencyMs = round(performance.now() - t0);
    this.logFailure(requestId, prepared, error, false, upstreamStatus);
    msg.respond(Buffer.from(JSON.stringify(errorBody(error)), 'utf8'), {
      headers: frameHeaders('error', meta, requestId),
    });
  }

  private meta(
    p: PreparedDeployment,
    status: number,
    usage: TokenUsage | undefined,
    t0: number,
    ttftMs?: number,
  ): FrameMeta {
    const meta: FrameMeta = {
      status,
      deploymentId: p.deployment.id,
      provider: p.deployment.provider,
      upstreamModel: p.deployment.model,
      latencyMs: round(performance.now() - t0),
    };
    if (usage !== undefined) meta.usage = usage;
    if (ttftMs !== undefined) meta.ttftMs = round(ttftMs);
    return meta;
  }

  /** Status, type and code only: upstream messages can quote request content, and bodies are never logged. */
  private logFailure(
    requestId: string,
    p: PreparedDeployment | undefined,
    e: GatewayError,
    midStream: boolean,
    upstreamStatus?: number,
  ): void {
    const where = p ? `deployment ${p.deployment.id} (${p.deployment.provider})` : 'no deployment';
    const upstream = upstreamStatus !== undefined ? ` upstream HTTP ${upstreamStatus} →` : '';
    const line = `request ${requestId || '?'} ${where}:${upstream} ${e.status} ${e.type}${e.code ? `/${e.code}` : ''}${midStream ? ' (mid-stream)' : ''}`;
    if (e.status >= 500) this.logger.warn(line);
    else this.logger.debug(line);
  }
}

/** Marks the attempt's ending as sent; false when it already was (by a cancel, or the normal ending). */
function settle(a: Attempt): boolean {
  if (a.settled) return false;
  a.settled = true;
  return true;
}

function errorMeta(e: GatewayError): Pick<FrameMeta, 'errorType' | 'errorCode' | 'retryAfter'> {
  const m: Pick<FrameMeta, 'errorType' | 'errorCode' | 'retryAfter'> = { errorType: e.type };
  if (e.code) m.errorCode = e.code;
  if (e.retryAfter !== undefined) m.retryAfter = e.retryAfter;
  return m;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function badRequest(message: string): GatewayError {
  return { status: 400, type: 'invalid_request_error', code: null, param: null, message, retryable: false };
}

function misconfigured(p: PreparedDeployment, e: Error): GatewayError {
  return {
    status: 502,
    type: 'api_error',
    code: 'deployment_misconfigured',
    param: null,
    retryable: true,
    message: `Deployment '${p.deployment.id}' cannot be called: ${e.message}`,
  };
}

/** JSON.parse plus the few checks the translation relies on; the gateway validated the rest. Returns the problem as text. */
function parseBody(data: Uint8Array): ChatCompletionRequest | string {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    return 'The request body is not valid JSON. Send a JSON object with "model" and "messages".';
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    return 'The request body must be a JSON object with "model" and "messages".';
  if (!Array.isArray((doc as ChatCompletionRequest).messages)) return 'The request body needs a "messages" array.';
  return doc as ChatCompletionRequest;
}

async function readAll(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, limit: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const piece of body) {
    if (size >= limit) continue; // keep reading so the connection can be reused, but drop the rest
    parts.push(piece);
    size += piece.byteLength;
  }
  if (parts.length === 1) {
    const only = parts[0]!;
    return Buffer.isBuffer(only) ? only : Buffer.from(only.buffer, only.byteOffset, only.byteLength);
  }
  return Buffer.concat(parts);
}
