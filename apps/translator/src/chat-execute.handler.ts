import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  FRAME_HEADER_ROOM,
  H,
  QUEUE_GROUPS,
  type FrameMeta,
  type GatewayError,
  type Subjects,
  type TokenUsage,
} from '@switchyard/contracts';
import { errorFrame, frameHeaders, NATS, SUBJECTS } from '@switchyard/nats';
import {
  estimateUsage,
  parseChatRequest,
  promptCharsOf,
  ProviderError,
  SseParser,
  transportError,
  upstreamTimeout,
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
const NO_USAGE: TokenUsage = {
  promptTokens: 0,
  completionTokens: 0,
  cachedTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
};
/** What a bug that escaped every expected failure path reports. */
const INTERNAL_ERROR: GatewayError = {
  status: 500,
  type: 'api_error',
  code: 'internal_error',
  param: null,
  retryable: true,
  message:
    'The translator failed unexpectedly while running this request. Retry it; if it keeps failing, check the translator logs.',
};

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
  /** Part of the answer reached the client: a failure now ends the client's stream, not the router's wait. */
  chunksSent: boolean;
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
      // A throw out of a nats.js subscription callback stops the client's reader for good: nothing may escape.
      callback: (err, msg) => {
        try {
          if (err) {
            this.logger.error(`subscription error: ${err.message}`);
            return;
          }
          this.handle(msg).catch((e: unknown) => this.failUnexpectedly(msg, undefined, e));
        } catch (e) {
          this.logger.error(`execute callback failed: ${describe(e)}`);
        }
      },
    });
    // Broadcast, no queue group: every instance hears every cancel, and the one holding the request acts.
    this.cancelSub = this.nc.subscribe(this.subjects.chatCancel, {
      callback: (err, msg) => {
        try {
          if (err) {
            this.logger.error(`cancel subscription error: ${err.message}`);
            return;
          }
          this.cancel(msg.headers?.get(H.requestId) ?? '');
        } catch (e) {
          // Publishing the 499 fails when the connection is closing; the attempt is over either way.
          this.logger.error(`cancel callback failed: ${describe(e)}`);
        }
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
    this.logger.debug(`request ${requestId}: client disconnected, upstream call aborted`);
    this.endCancelled(a.msg, requestId, a.clientReply, a.prepared, a.t0, usageSoFar(a), a.ttftMs);
  }

  /**
   * Last resort for a bug (or a publish on a closing connection) that escaped the expected failure paths.
   * Never throws: it runs inside a promise's catch, where a throw would be an unhandled rejection.
   */
  private failUnexpectedly(msg: Msg, a: Attempt | undefined, e: unknown): void {
    let requestId = a?.requestId ?? '';
    try {
      requestId ||= msg.headers?.get(H.requestId) ?? '';
      this.logger.error(`request ${requestId || '?'}: unexpected failure: ${describe(e)}`);
      if (a !== undefined) {
        if (!settle(a)) return; // its final frame and outcome went out (or were being sent when it failed)
        a.abort.abort();
        if (a.chunksSent) return this.endMidStream(a, INTERNAL_ERROR);
      }
      this.replyError(msg, requestId, a?.prepared, INTERNAL_ERROR, a?.t0);
    } catch (e2) {
      this.logger.error(`request ${requestId || '?'}: could not report the failure: ${describe(e2)}`);
    }
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
    const frame = errorFrame(
      CLIENT_DISCONNECTED,
      prepared
        ? this.meta(prepared, CLIENT_DISCONNECTED.status, usage, t0, ttftMs)
        : { usage, latencyMs: round(performance.now() - t0) },
      requestId,
    );
    this.nc.publish(clientReply, frame.data, { headers: frame.headers });
    if (msg.reply) msg.respond(EMPTY, { headers: frameHeaders('done', frame.meta, requestId) });
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

    const body = parseChatRequest(msg.data);
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
      chunksSent: false,
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
    } catch (e) {
      this.failUnexpectedly(msg, attempt, e);
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
    const limit = this.options.maxResponseBytes;
    let bytes: Buffer | undefined;
    try {
      bytes = await readAll(reply.body, limit, 'stop');
    } catch (e) {
      if (!settle(a)) return;
      return this.replyError(a.msg, a.requestId, a.prepared, transportError(e, a.prepared.ctx, a.timedOut), a.t0);
    }
    if (bytes === undefined) reply.discard();
    if (!settle(a)) return;
    if (bytes === undefined) return this.replyError(a.msg, a.requestId, a.prepared, tooLarge(a.prepared, limit), a.t0);
    let parsed;
    try {
      parsed = a.prepared.adapter!.parseResponse(bytes, input);
    } catch (e) {
      if (!(e instanceof ProviderError)) throw e;
      return this.replyError(a.msg, a.requestId, a.prepared, e.gatewayError, a.t0);
    }
    // Some OpenAI-compatible servers leave usage out: bill an estimate rather than nothing.
    const usage =
      parsed.usage ??
      estimateUsage({ promptChars: promptCharsOf(input.body.messages), completionChars: parsed.generatedChars ?? 0 });
    const meta = this.meta(a.prepared, 200, usage, a.t0);
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
    /** A throw while publishing is NATS failing (a closing connection), not the upstream. */
    let publishing = false;
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
        a.chunksSent = true;
        publishing = true;
        this.nc.publish(a.clientReply, Buffer.from(out, 'utf8'), CHUNK_OPTS);
        publishing = false;
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
      if (publishing) {
        reply.discard();
        throw e; // handle() ends the attempt as an unexpected failure
      }
      failure = transportError(e, a.prepared.ctx, a.timedOut);
    }
    if (failure !== undefined || a.settled) reply.discard();
    if (!settle(a)) return; // cancelled: the 499 went out already, and the abort is no failure
    const ttftMs = a.ttftMs;

    if (failure === undefined) {
      const meta = this.meta(a.prepared, 200, usageSoFar(a), a.t0, ttftMs);
      const hdrs = frameHeaders('done', meta, a.requestId);
      this.nc.publish(a.clientReply, EMPTY, { headers: hdrs });
      a.msg.respond(EMPTY, { headers: hdrs });
      return;
    }
    if (!a.chunksSent) return this.replyError(a.msg, a.requestId, a.prepared, failure, a.t0);
    this.endMidStream(a, failure);
  }

  /**
   * Part of the answer already reached the client: end its stream with the error, and tell the router the
   * attempt is over with a `done` outcome carrying the error status (and the usage so far, to bill), so it
   * does not retry into a stream that has already begun.
   */
  private endMidStream(a: Attempt, failure: GatewayError): void {
    const frame = errorFrame(
      failure,
      this.meta(a.prepared, failure.status, usageSoFar(a), a.t0, a.ttftMs),
      a.requestId,
    );
    this.logFailure(a.requestId, a.prepared, failure, true);
    this.nc.publish(a.clientReply, frame.data, { headers: frame.headers });
    a.msg.respond(EMPTY, { headers: frameHeaders('done', frame.meta, a.requestId) });
  }

  private async upstreamFailed(a: Attempt, reply: UpstreamReply): Promise<void> {
    let text = '';
    try {
      text = (await readAll(reply.body, MAX_ERROR_BODY_BYTES, 'drop')).toString('utf8');
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
    const extra: Partial<FrameMeta> = {};
    if (prepared !== undefined) {
      extra.deploymentId = prepared.deployment.id;
      extra.provider = prepared.deployment.provider;
      extra.upstreamModel = prepared.deployment.model;
    }
    if (t0 !== undefined) extra.latencyMs = round(performance.now() - t0);
    this.logFailure(requestId, prepared, error, false, upstreamStatus);
    const frame = errorFrame(error, extra, requestId);
    msg.respond(frame.data, { headers: frame.headers });
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

/**
 * The attempt's usage as far as it went: what the upstream reported, else an estimate from characters
 * (the prompt, and what was generated so far). OpenAI reports usage only at the end of a stream, a call
 * aborted earlier reports none, and some compatible servers ignore stream_options: tokens the provider
 * processed are billed to us either way, so a final frame never reports zero for them.
 */
function usageSoFar(a: Attempt): TokenUsage {
  return (
    a.stream?.usage ??
    estimateUsage({ promptChars: promptCharsOf(a.input.body.messages), completionChars: a.stream?.generatedChars ?? 0 })
  );
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function tooLarge(p: PreparedDeployment, limit: number): GatewayError {
  return {
    status: 502,
    type: 'api_error',
    code: 'upstream_response_too_large',
    param: null,
    retryable: false,
    message: `The answer of deployment '${p.deployment.id}' is larger than the translator accepts (${limit} bytes). Ask for a shorter answer (max_tokens, fewer choices) or stream it; the gateway operator can raise SWITCHYARD_MAX_RESPONSE_BYTES.`,
  };
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

/**
 * The body's bytes, at most about `limit` of them. Past the limit, 'drop' keeps reading (so the connection
 * can be reused) and returns what it kept; 'stop' stops reading and returns undefined.
 */
async function readAll(
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  limit: number,
  overflow: 'drop',
): Promise<Buffer>;
async function readAll(
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  limit: number,
  overflow: 'stop',
): Promise<Buffer | undefined>;
async function readAll(
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  limit: number,
  overflow: 'drop' | 'stop',
): Promise<Buffer | undefined> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const piece of body) {
    if (size >= limit) continue;
    parts.push(piece);
    size += piece.byteLength;
    if (size > limit && overflow === 'stop') return undefined;
  }
  if (parts.length === 1) {
    const only = parts[0]!;
    return Buffer.isBuffer(only) ? only : Buffer.from(only.buffer, only.byteOffset, only.byteLength);
  }
  return Buffer.concat(parts);
}
