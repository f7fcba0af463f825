import { Inject, Injectable, Logger } from '@nestjs/common';
import { decodeSummary, H, isClientApi, type GatewayError, type TokenUsage } from '@switchyard/contracts';
import type { NatsRequest } from '@switchyard/nats';
import {
  estimateTokens,
  ProviderError,
  transportError,
  upstreamTimeout,
  type UpstreamRequest,
} from '@switchyard/providers';
import { performance } from 'node:perf_hooks';
import { CredentialsService } from '../credentials/credentials.service';
import { DeploymentCatalog } from '../deployment-catalog.service';
import { FramePublisher } from '../relay/frame-publisher.service';
import { ResponseRelay } from '../relay/response-relay.service';
import { StreamRelay } from '../relay/stream-relay.service';
import { TRANSLATOR_OPTIONS, type TranslatorOptions } from '../translator.options';
import { readAll, UpstreamClient, type UpstreamReply } from '../upstream/upstream-client.service';
import { upstreamModelFor } from '@switchyard/routing';
import { billedSoFar, promptEstimate, readTrail, round, settle, type Attempt } from './attempt';
import { AttemptRegistry } from './attempt-registry.service';
import { operationFor, type AttemptOperation } from './attempt-operation';
import {
  apiMismatch,
  badRequest,
  CLIENT_DISCONNECTED,
  describe,
  INTERNAL_ERROR,
  misconfigured,
  overloaded,
  unknownDeployment,
} from './translator-errors';

const NO_USAGE: TokenUsage = {
  promptTokens: 0,
  completionTokens: 0,
  cachedTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
};

/**
 * Runs one attempt for the router: checks it, builds the upstream request through the deployment's
 * adapter, calls the upstream, and hands the reply to the response or stream relay. Answers go straight to
 * the gateway's reply subject (H.clientReply); the outcome goes to the router on the command's reply.
 */
@Injectable()
export class AttemptRunner {
  private readonly logger = new Logger('AttemptRunner');

  constructor(
    @Inject(DeploymentCatalog) private readonly catalog: DeploymentCatalog,
    @Inject(AttemptRegistry) private readonly registry: AttemptRegistry,
    @Inject(UpstreamClient) private readonly upstream: UpstreamClient,
    @Inject(FramePublisher) private readonly frames: FramePublisher,
    @Inject(ResponseRelay) private readonly responses: ResponseRelay,
    @Inject(StreamRelay) private readonly streams: StreamRelay,
    @Inject(TRANSLATOR_OPTIONS) private readonly options: TranslatorOptions,
    @Inject(CredentialsService) private readonly credentials: CredentialsService,
  ) {}

  async run(request: NatsRequest): Promise<void> {
    const t0 = performance.now();
    if (!request.reply || !request.headers) return; // not a router request: nobody to answer
    const requestId = request.header(H.requestId);
    const attemptNo = Number(request.header(H.attempt)) || 1;
    const clientReply = request.header(H.clientReply);
    const deploymentId = request.header(H.deployment);
    let prepared = this.catalog.get(deploymentId);
    const trail = readTrail(request.header(H.trail));
    const fail = (error: Parameters<FramePublisher['failBeforeCommit']>[4], p = prepared) =>
      this.frames.failBeforeCommit(request, requestId, attemptNo, p, error, t0, undefined, trail);
    if (!clientReply) {
      return fail(
        badRequest(`The ${H.clientReply} header is missing; the router must send the gateway's reply subject.`),
      );
    }
    if (requestId && this.registry.takeEarlyCancel(requestId)) {
      // The client left before this attempt got here: no upstream call, so no tokens to bill.
      const meta = prepared
        ? { status: 499, deploymentId: prepared.deployment.id, provider: prepared.deployment.provider }
        : { status: 499 };
      return this.frames.cancelledBeforeStart(request, requestId, attemptNo, clientReply, CLIENT_DISCONNECTED, {
        ...meta,
        // A wildcard deployment's upstream model depends on the request, which was not read: none is known.
        upstreamModel: prepared?.deployment.model.includes('*') ? undefined : prepared?.deployment.model,
        usage: NO_USAGE,
        latencyMs: round(performance.now() - t0),
      });
    }
    if (prepared === undefined) {
      this.logger.warn(
        `request ${requestId || '?'}: deployment '${deploymentId}' is not in this translator's config; make sure every service loads the same SWITCHYARD_CONFIG and restart the translator after changing it`,
      );
      return fail(unknownDeployment(), undefined);
    }
    if (prepared.unavailable !== undefined || prepared.adapter === undefined) return fail(prepared.unavailable!);
    if (!this.registry.hasRoom()) return fail(overloaded(this.registry.limit));
    // The client's API and the adapter pick how the attempt is served, in one place (operationFor): the
    // adapter's own API, a pass-through of the client's where the upstream speaks it too, or a translation
    // through the adapter's chat; a client API this adapter cannot serve is refused here rather than
    // answered in the wrong shape. The gateway's summary of the body (H.summary) spares a parse of a body we
    // only pass through.
    const clientApi = request.header(H.clientApi) || 'openai.chat';
    if (!isClientApi(clientApi)) return fail(badRequest(`Unknown client API '${clientApi}' in ${H.clientApi}.`));
    const adapter = prepared.adapter;
    const summary = decodeSummary(request.header(H.summary));
    // A wildcard deployment (`model: openai/*`) sends the model the client asked for; usage, pricing and the
    // answer then name that model, never `*`. The copy lives for this attempt only. It is resolved before the
    // operation is chosen (a pass-through may serve only some models), from the gateway's summary; a chat
    // request sent without one names its model in the body, read by operationFor.
    const wanted = summary === undefined ? undefined : upstreamModelFor(prepared.deployment, summary.model);
    if (wanted !== undefined && wanted !== prepared.deployment.model) {
      prepared = { ...prepared, deployment: { ...prepared.deployment, model: wanted } };
    }
    let op: AttemptOperation | undefined;
    try {
      op = operationFor(adapter, clientApi, request.data, summary, requestId, prepared.deployment);
    } catch (e) {
      if (e instanceof ProviderError) return fail(e.gatewayError);
      throw e;
    }
    if (op === undefined) return fail(apiMismatch(prepared, clientApi));
    const input = op.input;
    const upstreamModel = upstreamModelFor(prepared.deployment, input.summary.model);
    if (upstreamModel !== prepared.deployment.model) {
      prepared = { ...prepared, deployment: { ...prepared.deployment, model: upstreamModel } };
    }

    const a: Attempt = {
      request,
      requestId,
      attempt: attemptNo,
      clientReply,
      prepared,
      op,
      input,
      t0,
      trail,
      abort: new AbortController(),
      timedOut: false,
      settled: false,
      committed: false,
    };
    if (input.summary.countTokens === true && op.route !== 'passthrough') {
      // No token-counting endpoint behind this adapter: the documented estimate, without an upstream call.
      a.settled = a.committed = true;
      const count = Buffer.from(JSON.stringify({ input_tokens: estimateTokens(input.summary.promptChars) }), 'utf8');
      return this.frames.response(a, count, this.frames.meta(a, 200, NO_USAGE));
    }

    const header = request.header(H.timeoutMs);
    const remaining = header === '' ? NaN : Number(header);
    let budget = Number.isFinite(remaining) && remaining >= 0 ? remaining : this.options.defaultTimeoutMs;
    // litellm_params.timeout bounds the whole attempt; stream_timeout (the request's, else the deployment's, else
    // its group's) bounds a streamed attempt's wait for its first chunk, as LiteLLM means them.
    const depTimeout = prepared.deployment.timeoutMs;
    if (depTimeout !== undefined && depTimeout < budget) budget = depTimeout;
    if (budget <= 0) return fail(upstreamTimeout(prepared.ctx, 0));
    const firstChunkMs = input.stream
      ? (input.summary.streamTimeoutMs ?? prepared.deployment.streamTimeoutMs)
      : undefined;

    let upstreamRequest: UpstreamRequest;
    try {
      const resolving = this.credentials.get(adapter, prepared.deployment);
      const credentials = resolving instanceof Promise ? await resolving : resolving;
      const ctx = { now: () => this.credentials.clock(), credentials };
      upstreamRequest = op.buildRequest(prepared.deployment, ctx);
      // Signatures (AWS SigV4) cover the built request, so they come last.
      if (op.signRequest !== undefined) upstreamRequest = await op.signRequest(upstreamRequest, ctx);
    } catch (e) {
      if (isGatewayError(e)) return fail(e);
      if (e instanceof ProviderError) return fail(e.gatewayError);
      // The reason names the operator's settings: logged, not told to the client.
      this.logger.warn(
        `request ${requestId || '?'} deployment ${prepared.deployment.id}: cannot build the upstream request: ${this.catalog.redact(describe(e))}`,
      );
      return fail(misconfigured(prepared));
    }
    if (upstreamRequest.dropped !== undefined) {
      // drop_params at work: never silent, but not worth more than a debug line per request.
      this.logger.debug(
        `request ${requestId || '?'} deployment ${prepared.deployment.id}: dropped ${upstreamRequest.dropped
          .map((d) => `${d.param} (${d.reason})`)
          .join(', ')}`,
      );
    }

    const abort = a.abort;
    const depth = Number(request.header(H.fallbackDepth));
    if (Number.isInteger(depth) && depth > 0) a.fallbackDepth = depth;
    const timer = setTimeout(() => {
      a.timedOut = true;
      abort.abort();
    }, budget);
    // A streamed answer's headers come at once from a healthy upstream: one that sends none frees its socket
    // (and the attempt goes back to the router as a timeout) long before the request's deadline.
    let headersTimer: NodeJS.Timeout | undefined;
    if (input.stream && this.options.firstByteTimeoutMs < budget) {
      headersTimer = setTimeout(() => {
        a.timedOut = true;
        abort.abort();
      }, this.options.firstByteTimeoutMs);
    }
    // Until its first chunk commits, a streamed attempt that goes past stream_timeout is a timeout the router
    // may retry elsewhere; after that, only the whole attempt's budget bounds it.
    let firstChunkTimer: NodeJS.Timeout | undefined;
    if (firstChunkMs !== undefined && firstChunkMs < budget) {
      firstChunkTimer = setTimeout(() => {
        if (a.committed) return;
        a.timedOut = true;
        abort.abort();
      }, firstChunkMs);
    }
    this.registry.add(a);
    try {
      // Once cancelled, an upstream failure is only the abort we caused: the 499 was sent, nothing more is.
      const reply = abort.signal.aborted
        ? new Error('aborted')
        : await this.upstream.call(prepared, upstreamRequest, abort.signal);
      clearTimeout(headersTimer);
      if (reply instanceof Error) {
        if (!settle(a)) return;
        // A request that timed out reached the provider, which may bill its prompt; a refused one did not.
        return this.frames.failBeforeCommit(
          request,
          requestId,
          attemptNo,
          prepared,
          transportError(reply, prepared.ctx, a.timedOut),
          t0,
          undefined,
          trail,
          a.timedOut ? promptEstimate(a) : undefined,
        );
      }
      if (a.settled) return reply.discard();
      if (reply.status < 200 || reply.status >= 300) return await this.upstreamFailed(a, reply);
      if (input.stream) await this.streams.relay(a, reply);
      else await this.responses.relay(a, reply);
    } catch (e) {
      this.failUnexpectedly(a, e);
    } finally {
      clearTimeout(timer);
      clearTimeout(headersTimer);
      clearTimeout(firstChunkTimer);
      this.registry.remove(a);
    }
  }

  /**
   * The client of `requestId` went away: abort its attempts' upstream calls and end each with a 499
   * carrying the best usage known, so the request is still billed.
   */
  cancel(requestId: string, attempt?: number): void {
    if (!requestId) return;
    for (const a of this.registry.takeForCancel(requestId, attempt)) {
      if (!settle(a)) continue; // its answer is already complete
      a.abort.abort();
      this.logger.debug(`request ${requestId} attempt ${a.attempt}: client disconnected, upstream call aborted`);
      const billed = billedSoFar(a);
      this.frames.endCommitted(
        a,
        CLIENT_DISCONNECTED,
        this.frames.meta(a, CLIENT_DISCONNECTED.status, billed.usage, a.ttftMs, billed.estimated),
      );
    }
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
    // A token the provider no longer takes (revoked, rotated) is not served again until it expires.
    if (reply.status === 401) this.credentials.invalidate(a.prepared.deployment.id);
    this.frames.failBeforeCommit(a.request, a.requestId, a.attempt, a.prepared, error, a.t0, reply.status, a.trail);
  }

  /**
   * Last resort for a bug (or a publish on a closing connection) that escaped the expected failure paths.
   * Never throws: it runs inside a promise's catch, where a throw would be an unhandled rejection.
   */
  private failUnexpectedly(a: Attempt, e: unknown): void {
    try {
      this.logger.error(`request ${a.requestId || '?'}: unexpected failure: ${this.catalog.redact(describe(e))}`);
      if (!settle(a)) return; // its final frame and outcome went out (or were being sent when it failed)
      a.abort.abort();
      if (a.committed) {
        this.frames.logFailure(a.requestId, a.prepared, INTERNAL_ERROR, true);
        const billed = billedSoFar(a);
        return this.frames.endCommitted(
          a,
          INTERNAL_ERROR,
          this.frames.meta(a, INTERNAL_ERROR.status, billed.usage, a.ttftMs, billed.estimated),
        );
      }
      this.frames.failBeforeCommit(
        a.request,
        a.requestId,
        a.attempt,
        a.prepared,
        INTERNAL_ERROR,
        a.t0,
        undefined,
        a.trail,
      );
    } catch (e2) {
      this.logger.error(
        `request ${a.requestId || '?'}: could not report the failure: ${this.catalog.redact(describe(e2))}`,
      );
    }
  }

  /** Attempts in flight (for shutdown and tests). */
  get inflightCount(): number {
    return this.registry.size;
  }
}

/** Error bodies are read to classify the failure; past this size the rest is dropped. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

function isGatewayError(e: unknown): e is GatewayError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as GatewayError).status === 'number' &&
    typeof (e as GatewayError).kind === 'string' &&
    typeof (e as GatewayError).message === 'string'
  );
}
