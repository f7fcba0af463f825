import { Inject, Injectable, Logger } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  clampUsageInPlace,
  encodeRoute,
  H,
  FRAME_HEADER_ROOM,
  type FrameMeta,
  type GatewayError,
  type RouteTrail,
  type TokenUsage,
} from '@switchyard/contracts';
import { errorFrame, frameHeaders, NATS, type NatsRequest } from '@switchyard/nats';
import { performance } from 'node:perf_hooks';
import { round, trailWith, type Attempt } from '../attempts/attempt';
import { attemptCostNanos } from './usage-cost';
import { DeploymentCatalog, type PreparedDeployment } from '../deployment-catalog.service';

const EMPTY = new Uint8Array(0);

/**
 * Every frame the translator sends: data frames to the gateway's reply subject (each with the attempt
 * number, so the gateway can tell attempts apart) and the attempt's one outcome to the router.
 */
@Injectable()
export class FramePublisher {
  private readonly logger = new Logger('FramePublisher');
  /** Chunk and part frames carry only their kind and attempt: one header set per attempt number. */
  private readonly chunkHeaders = new Map<number, ReturnType<typeof frameHeaders>>();
  private readonly partHeaders = new Map<number, ReturnType<typeof frameHeaders>>();

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(DeploymentCatalog) private readonly catalog: DeploymentCatalog,
  ) {}

  /** The error as it may leave the translator: configured secrets and key shapes masked in its message. */
  private safe(error: GatewayError): GatewayError {
    const message = this.catalog.redact(error.message);
    return message === error.message ? error : { ...error, message };
  }

  /** Stream events for the client (already in its API's wire text). */
  chunk(a: Attempt, data: Uint8Array): void {
    const headers = a.routeSent ? this.cached(this.chunkHeaders, 'chunk', a.attempt) : this.routed(a, 'chunk');
    this.nc.publish(a.clientReply, data, { headers });
  }

  /** The first data frame of an attempt names its deployment and fallback depth (H.route). */
  private routed(a: Attempt, kind: 'chunk' | 'part'): ReturnType<typeof frameHeaders> {
    a.routeSent = true;
    const h = frameHeaders(kind, undefined, undefined, a.attempt);
    h.set(H.route, encodeRoute(a.fallbackDepth ?? 0, a.prepared.deployment.id));
    return h;
  }

  /**
   * The non-streamed answer, and its outcome to the router. A body larger than one NATS message carries
   * goes ahead in `part` frames; the `response` frame ends it.
   */
  response(a: Attempt, body: Uint8Array, meta: FrameMeta): void {
    const hdrs = frameHeaders('response', meta, a.requestId, a.attempt);
    const room = Math.max(64 * 1024, this.nc.info!.max_payload - FRAME_HEADER_ROOM);
    let offset = 0;
    for (; body.length - offset > room; offset += room) {
      this.nc.publish(a.clientReply, body.subarray(offset, offset + room), {
        headers: a.routeSent ? this.cached(this.partHeaders, 'part', a.attempt) : this.routed(a, 'part'),
      });
    }
    this.nc.publish(a.clientReply, offset ? body.subarray(offset) : body, { headers: hdrs });
    a.request.respond(EMPTY, hdrs);
  }

  /** The stream ended normally: `done` to the client and as the outcome. */
  done(a: Attempt, meta: FrameMeta): void {
    const hdrs = frameHeaders('done', meta, a.requestId, a.attempt);
    this.nc.publish(a.clientReply, EMPTY, { headers: hdrs });
    a.request.respond(EMPTY, hdrs);
  }

  /**
   * The attempt committed, then failed (or its client left): the client's stream ends with the error, and
   * the router gets a `done` outcome carrying the error status and the usage so far, so it does not retry
   * into an answer that has already begun.
   */
  endCommitted(a: Attempt, error: GatewayError, meta: FrameMeta): void {
    const own = meta.trail?.at(-1);
    if (own !== undefined) own.errorKind = error.kind;
    const frame = errorFrame(this.safe(error), meta, a.requestId, a.attempt);
    this.nc.publish(a.clientReply, frame.data, { headers: frame.headers });
    a.request.respond(EMPTY, frameHeaders('done', frame.meta, a.requestId, a.attempt));
  }

  /**
   * The attempt failed before it committed: only the router hears of it, and decides (today it relays the
   * error to the client; retries and fallbacks will go there).
   */
  failBeforeCommit(
    request: NatsRequest,
    requestId: string,
    attempt: number,
    prepared: PreparedDeployment | undefined,
    error: GatewayError,
    t0?: number,
    upstreamStatus?: number,
    trail: RouteTrail = [],
    billed?: { usage: TokenUsage; estimated: boolean },
  ): void {
    if (!request.reply) return;
    const extra: Partial<FrameMeta> = {};
    if (billed !== undefined) this.setUsage(extra, billed.usage, billed.estimated);
    if (prepared !== undefined) {
      extra.deploymentId = prepared.deployment.id;
      extra.provider = prepared.deployment.provider;
      extra.upstreamModel = prepared.deployment.model;
    }
    if (t0 !== undefined) extra.latencyMs = round(performance.now() - t0);
    extra.trail = trailWith(
      trail,
      { attempt, deploymentId: prepared?.deployment.id ?? '', provider: prepared?.deployment.provider },
      error.status,
      extra.latencyMs,
      extra.usage,
      error,
    );
    this.logFailure(requestId, prepared, error, false, upstreamStatus);
    const frame = errorFrame(this.safe(error), extra, requestId, attempt);
    request.respond(frame.data, frame.headers);
  }

  /** The client of an attempt that has not started left: 499 to the client, `done` to the router. */
  cancelledBeforeStart(
    request: NatsRequest,
    requestId: string,
    attempt: number,
    clientReply: string,
    error: GatewayError,
    meta: FrameMeta,
  ): void {
    const frame = errorFrame(this.safe(error), meta, requestId, attempt);
    this.nc.publish(clientReply, frame.data, { headers: frame.headers });
    request.respond(EMPTY, frameHeaders('done', frame.meta, requestId, attempt));
  }

  /**
   * Usage on a frame: counts out of range (an upstream reporting `prompt_tokens: 1e300`) are brought to the
   * bound and flagged rather than left to make the usage event invalid; an estimate is flagged as one.
   */
  private setUsage(meta: Partial<FrameMeta>, usage: TokenUsage, estimated: boolean): TokenUsage {
    const u = { ...usage };
    if (clampUsageInPlace(u)) meta.usageClamped = true;
    if (estimated) meta.usageEstimated = true;
    meta.usage = u;
    return u;
  }

  meta(a: Attempt, status: number, usage: TokenUsage | undefined, ttftMs?: number, estimated = false): FrameMeta {
    const p = a.prepared;
    const meta: FrameMeta = {
      status,
      attempt: a.attempt,
      deploymentId: p.deployment.id,
      provider: p.deployment.provider,
      upstreamModel: p.deployment.model,
      latencyMs: round(performance.now() - a.t0),
    };
    if (usage !== undefined) usage = this.setUsage(meta, usage, estimated);
    const cost = attemptCostNanos(a, usage);
    if (cost !== undefined) meta.costNanos = Number(cost);
    if (ttftMs !== undefined) meta.ttftMs = round(ttftMs);
    if (a.stream?.finishReason !== undefined) meta.finishReason = a.stream.finishReason;
    if (a.fallbackDepth !== undefined) meta.fallbackDepth = a.fallbackDepth;
    meta.trail = trailWith(
      a.trail,
      { attempt: a.attempt, deploymentId: p.deployment.id, provider: p.deployment.provider },
      status,
      meta.latencyMs,
      usage,
    );
    return meta;
  }

  /** Status, kind and code only: upstream messages can quote request content, and bodies are never logged. */
  logFailure(
    requestId: string,
    p: PreparedDeployment | undefined,
    e: GatewayError,
    committed: boolean,
    upstreamStatus?: number,
  ): void {
    const where = p
      ? `deployment ${p.deployment.id} (${p.deployment.provider}${p.origin ? ` at ${p.origin}` : ''})`
      : 'no deployment';
    const upstream = upstreamStatus !== undefined ? ` upstream HTTP ${upstreamStatus} →` : '';
    const line = `request ${requestId || '?'} ${where}:${upstream} ${e.status} ${e.kind}${e.code ? `/${e.code}` : ''}${committed ? ' (mid-stream)' : ''}`;
    if (e.status >= 500) this.logger.warn(line);
    else this.logger.debug(line);
  }

  private cached(
    cache: Map<number, ReturnType<typeof frameHeaders>>,
    kind: 'chunk' | 'part',
    attempt: number,
  ): ReturnType<typeof frameHeaders> {
    let h = cache.get(attempt);
    if (h === undefined) {
      h = frameHeaders(kind, undefined, undefined, attempt);
      cache.set(attempt, h);
    }
    return h;
  }
}
