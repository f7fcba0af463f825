import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { CONFIG, modelCatalog, type Deployment, type RouterSettings, type SwitchyardConfig } from '@switchyard/config';
import {
  Commands,
  decodeSummary,
  encodeSummary,
  Errors,
  H,
  type GatewayError,
  type RequestSummary,
  type RouteTrail,
} from '@switchyard/contracts';
import {
  errorFrame,
  frameKind,
  isNoResponders,
  NATS,
  NATS_CLIENT,
  natsHeaders,
  NatsClient,
  parseMeta,
  readErrorFrame,
  type NatsRequest,
} from '@switchyard/nats';
import { lookupModel } from '@switchyard/pricing';
import {
  countsAgainstDeployment,
  estimateTokens,
  minuteEnd,
  nextFallback,
  pickDeployment,
  pickLeastBusy,
  pickLowestCost,
  pickLowestLatency,
  pickLowestUsage,
  resolveGroup,
  retriesFor,
  retryWaitMs,
  type Chooser,
  type DeploymentPick,
  type ModelCatalog,
} from '@switchyard/routing';
import { CandidateFilter, type Candidates } from './candidate-filter';
import { DeploymentState } from './deployment-state/deployment-state.service';
import { readTimeoutMs } from './timeout';

/** The code of a translator's refusal at its in-flight bound (apps/translator's translator-errors.ts). */
const TRANSLATOR_OVERLOADED = 'translator_overloaded';

/** One request being routed: what every attempt of it needs, and where it stands. */
interface Routing {
  request: NatsRequest;
  requestId: string;
  /** The gateway's reply subject: data frames go there straight from the translator. */
  clientReply: string;
  /** Epoch ms past which nobody waits for the answer. */
  deadline: number;
  trail: RouteTrail;
  /** The request's summary, read from its header when a decision needs it (never on the first attempt's path). */
  summary?: RequestSummary | null;
  /** The group the request resolved to first, and the one being tried now. */
  original: string;
  group: string;
  /** The model asked of the current group (a fallback's name: a wildcard deployment sends it upstream). */
  model: string;
  deployments: readonly Deployment[];
  /** The request's own order over `deployments` (provider preferences), over the strategy's choice. */
  choose?: Chooser<Deployment>;
  /** Deployments tried in the current group, so a retry goes to another one when there is one. */
  tried: Set<string>;
  triedGroups: Set<string>;
  /** Retries made in the current group. */
  retries: number;
  /** Fallback groups used so far. */
  fallbacks: number;
  /** The last attempt's number. */
  attempt: number;
  /** The deployment of the last attempt. */
  current?: Deployment;
}

/** Why the current group could not serve: a translator's error outcome, or the router's own error. */
interface Failure {
  error: GatewayError;
  /** The translator's error frame, relayed to the client as it is when the router gives up. */
  outcome?: Msg;
}

/**
 * Routes one request: resolves the model to a group, picks a deployment not cooling down, and hands the untouched
 * body to a translator. The translator answers the gateway directly; only an attempt's outcome comes back here,
 * which keeps the router off the path of response bytes and stream chunks. An attempt that failed before
 * committing (nothing reached the client; for a stream, before its first chunk) comes back as an error outcome, and
 * the router decides: retry in the group (another deployment when there is one, after a backoff or the upstream's
 * retry-after otherwise, never past the deadline), fall back to the next model group, or give up and relay the
 * error. Each failure feeds the shared deployment state (cooldowns), read from a local view with no Redis round trip.
 */
@Injectable()
export class RequestRouter implements BeforeApplicationShutdown {
  private readonly logger = new Logger('RequestRouter');
  private readonly catalog: ModelCatalog<Deployment>;
  private readonly settings: RouterSettings;
  /** The strategy's choice for a request; undefined for simple-shuffle (pickDeployment's weighted default). */
  private readonly choose?: (r: Routing) => Chooser<Deployment>;
  /**
   * Successful attempts' latencies are recorded: latency-based routing reads them, and so does a request's
   * `provider.sort: latency` whatever the strategy (a local push; shared in the background refresh).
   */
  private readonly measureLatency: boolean = true;
  /** Attempts' tokens are counted against their deployment's tpm (only usage-based routing reads them). */
  private readonly countTokens: boolean = false;
  /** Request-level selection: pre-call checks and provider preferences (candidate-filter.ts). */
  private readonly candidates: CandidateFilter;
  /** Requests waiting for a retry's backoff. */
  private readonly waiting = new Set<NodeJS.Timeout>();
  static readonly SHUTDOWN_GRACE_MS = 10_000;
  /** Node timers hold at most 2^31-1 ms; a timeout header further out is treated as that far. */
  static readonly MAX_WAIT_MS = 2 ** 31 - 1 - 5_000;
  /** Used when a request carries no (valid) timeout header. */
  static readonly DEFAULT_TIMEOUT_MS = 600_000;
  /** A retry that would start with less time than this before the deadline is not made. */
  static readonly MIN_ATTEMPT_MS = 500;
  /** A cooldown ending this close is over for a retry that waited for it (timers fire a little early or late). */
  static readonly TIMER_SLACK_MS = 20;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(NATS_CLIENT) private readonly client: NatsClient,
    @Inject(CONFIG) config: SwitchyardConfig,
    @Inject(DeploymentState) private readonly state: DeploymentState,
  ) {
    this.catalog = modelCatalog(config);
    this.settings = config.routerSettings;
    this.candidates = new CandidateFilter(config, this.state);
    // routing_strategy: least-busy balances requests in flight, latency-based-routing follows recent latency;
    // anything else is simple-shuffle (weights).
    const strategy = this.settings.routingStrategy;
    if (strategy === 'least-busy') {
      const choose: Chooser<Deployment> = (deployments, exclude) =>
        pickLeastBusy(deployments, this.state, Math.random, exclude);
      this.choose = () => choose;
    } else if (strategy === 'latency-based-routing') {
      const buffer = this.settings.latencyBuffer;
      const choose: Chooser<Deployment> = (deployments, exclude) =>
        pickLowestLatency(deployments, this.state, Math.random, exclude, buffer);
      this.choose = () => choose;
      this.measureLatency = true;
    } else if (strategy === 'usage-based-routing-v2' || strategy === 'usage-based-routing') {
      // The request's prompt, estimated from its characters, must fit each deployment's tpm this minute.
      this.choose = (r) => {
        const tokens = estimateTokens(this.summaryOf(r)?.promptChars ?? 0);
        return (deployments, exclude) => pickLowestUsage(deployments, this.state, tokens, Math.random, exclude);
      };
      this.countTokens = true;
    } else if (strategy === 'cost-based-routing') {
      const costs = new Map<string, number | undefined>();
      for (const d of config.deployments) {
        const info = lookupModel(d.baseModel ?? d.model);
        costs.set(d.id, info && Number(info.inputNanosPerMTok + info.outputNanosPerMTok));
        if (!info)
          this.logger.warn(
            `cost-based-routing: no price is known for deployment ${d.id} (${d.baseModel ?? d.model}); it serves only when no priced deployment of ${d.modelName} can`,
          );
      }
      const choose: Chooser<Deployment> = (deployments, exclude) =>
        pickLowestCost(deployments, (d) => costs.get(d.id), Math.random, exclude);
      this.choose = () => choose;
    }
    const f = this.settings.fallbacks;
    for (const model of new Set([
      ...Object.values(f.fallbacks).flat(),
      ...Object.values(f.contextWindowFallbacks).flat(),
      ...Object.values(f.contentPolicyFallbacks).flat(),
      ...f.defaultFallbacks,
    ])) {
      if (!resolveGroup(this.catalog, model)) {
        this.logger.warn(`fallback model "${model}" is served by no model_list entry or alias: it will be skipped`);
      }
    }
  }

  /**
   * Our transport has stopped taking requests by now (it drains when the module is destroyed); give attempts in
   * flight and retries waiting for their backoff a moment to finish: an attempt that fails before its first byte is
   * relayed from here, and dropping it would leave its client waiting for the whole timeout.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const until = Date.now() + RequestRouter.SHUTDOWN_GRACE_MS;
    const busy = () => this.client.pending + this.waiting.size;
    while (busy() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    if (busy()) this.logger.warn(`stopping with ${busy()} attempts still in flight or waiting to retry`);
  }

  route(request: NatsRequest): void {
    const requestId = request.header(H.requestId);
    if (!request.reply || !requestId) return; // nobody to answer: a malformed publish, not a client request
    const model = request.header(H.model);
    const timeoutMs = readTimeoutMs(request.header(H.timeoutMs), RequestRouter.DEFAULT_TIMEOUT_MS);
    const now = Date.now();
    let resolved = resolveGroup(this.catalog, model);
    let asked = model;
    let summary: RequestSummary | null | undefined;
    if (!resolved) {
      // OpenRouter's `models`: the first of the list that something serves stands in for an unknown `model`.
      summary = decodeSummary(request.header(H.summary)) ?? null;
      for (const m of summary?.models ?? []) {
        resolved = resolveGroup(this.catalog, m);
        asked = m;
        if (resolved) break;
      }
    }
    if (!resolved) return this.reply(request, requestId, Errors.modelNotFound(model));
    const r: Routing = {
      request,
      requestId,
      clientReply: request.reply,
      deadline: now + Math.min(timeoutMs, RequestRouter.MAX_WAIT_MS),
      trail: [],
      summary,
      original: resolved.group,
      group: resolved.group,
      model: asked,
      deployments: resolved.deployments,
      tried: new Set(),
      triedGroups: new Set([resolved.group]),
      retries: 0,
      fallbacks: 0,
      attempt: 0,
    };
    const narrowed = this.narrow(r, resolved.deployments);
    if (!narrowed.ok) return this.fallbackOrGiveUp(r, { error: narrowed.error });
    const pick = this.pick(r, r.deployments, now);
    if (pick.ok) return this.dispatch(r, pick.deployment);
    this.fallbackOrGiveUp(r, { error: this.unavailable(r.group, pick, now) });
  }

  private dispatch(r: Routing, deployment: Deployment): void {
    const attempt = ++r.attempt;
    r.current = deployment;
    r.tried.add(deployment.id);
    const remaining = Math.max(0, r.deadline - Date.now());
    const incoming = r.request.headers!;
    let summaryHeader = incoming.get(H.summary) || undefined;
    if (r.model !== r.request.header(H.model)) {
      // A fallback model: the translator reads the model asked for from the summary (wildcard deployments send it).
      const s = this.summaryOf(r);
      if (s) summaryHeader = encodeSummary({ ...s, model: r.model });
    }
    const headers = natsHeaders({
      [H.requestId]: r.requestId,
      [H.stream]: incoming.get(H.stream),
      [H.clientApi]: incoming.get(H.clientApi) || undefined,
      [H.summary]: summaryHeader,
      [H.timeoutMs]: String(Math.round(remaining)),
      [H.deployment]: deployment.id,
      [H.attempt]: String(attempt),
      [H.clientReply]: r.clientReply,
      [H.trail]: r.trail.length > 0 ? JSON.stringify(r.trail) : undefined,
      [H.fallbackDepth]: r.fallbacks > 0 ? String(r.fallbacks) : undefined,
    });
    this.state.started(deployment.id);
    let inFlight = true;
    const finished = () => {
      if (inFlight) this.state.finished(deployment.id);
      inFlight = false;
    };
    // Past the deadline (and a second for the translator's own report) nobody waits: stop listening.
    const timer = setTimeout(() => {
      finished();
      subscription.unsubscribe();
    }, remaining + 1000);
    const subscription = this.client.send(Commands.executeAttempt, { data: r.request.data, headers }).subscribe({
      next: (outcome: Msg) => {
        clearTimeout(timer);
        finished();
        this.onOutcome(r, outcome);
      },
      error: (e: Error) => {
        clearTimeout(timer);
        finished();
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
    const kind = frameKind(outcome);
    const meta = this.measureLatency || this.countTokens || kind === 'error' ? parseMeta(outcome) : undefined;
    if (this.countTokens && meta?.deploymentId && meta.usage)
      this.state.recordTokens(meta.deploymentId, meta.usage.promptTokens + meta.usage.completionTokens);
    // The recent error rate counts the deployment's own failures, not a client's bad request or departure.
    if (meta?.deploymentId && kind !== 'chunk' && kind !== 'part') {
      const failed =
        kind === 'error'
          ? countsAgainstDeployment({ kind: meta.errorKind ?? 'upstream_5xx', status: meta.status })
          : meta.status >= 500;
      this.state.recordOutcome(meta.deploymentId, !failed);
    }
    if (kind !== 'error') {
      if (this.measureLatency && (kind === 'done' || kind === 'response')) {
        const ms = meta?.ttftMs ?? meta?.latencyMs;
        if (meta?.deploymentId && meta.status < 400 && ms !== undefined)
          this.state.recordLatency(meta.deploymentId, ms);
      }
      return;
    }
    // Failed before any byte reached the client: retry, fall back, or relay the error.
    const error = readErrorFrame(outcome, meta);
    if (meta?.trail) r.trail = meta.trail;
    const deploymentId = meta?.deploymentId || r.current?.id;
    // A translator at its own in-flight bound says nothing of the deployment's health.
    if (deploymentId && error.code !== TRANSLATOR_OVERLOADED) {
      this.state.recordFailure(deploymentId, { kind: error.kind, status: error.status, retryAfterS: error.retryAfter });
    }
    this.retryOrFallBack(r, { error, outcome });
  }

  private retryOrFallBack(r: Routing, failure: Failure): void {
    const { error } = failure;
    const s = this.summaryOf(r);
    const allowed = retriesFor({
      kind: error.kind,
      numRetries: this.settings.numRetries,
      requestNumRetries: s?.numRetries,
      deploymentMaxRetries: r.current?.maxRetries,
      retryPolicy: this.settings.retryPolicy,
      groupRetryPolicy: this.settings.groupRetryPolicy[r.group],
    });
    if (r.retries < allowed) {
      const now = Date.now();
      const pick = this.pick(r, r.deployments, now, r.tried);
      // Every deployment of the group cools down: a fallback answers sooner than waiting for one.
      if (!pick.ok && this.nextFallbackOf(r, error) !== undefined) return this.fallbackOrGiveUp(r, failure);
      const other = pick.ok && pick.deployment.id !== r.current?.id;
      const wait = retryWaitMs({
        retry: r.retries + 1,
        retryAfterS: error.retryAfter,
        otherDeployment: other,
        availableAt: pick.ok ? undefined : pick.availableAt,
        now,
        deadline: r.deadline,
        minAttemptMs: RequestRouter.MIN_ATTEMPT_MS,
        backoff: { minMs: this.settings.minRetryWaitMs },
      });
      if (wait !== undefined) {
        r.retries++;
        this.logger.debug(
          `request ${r.requestId}: attempt ${r.attempt} on ${r.current?.id} failed (${error.kind}); retry ${r.retries}/${allowed} in ${wait} ms`,
        );
        if (wait <= 0) return this.retryNow(r, failure);
        const timer = setTimeout(() => {
          this.waiting.delete(timer);
          this.retryNow(r, failure);
        }, wait);
        this.waiting.add(timer);
        return;
      }
    }
    this.fallbackOrGiveUp(r, failure);
  }

  private retryNow(r: Routing, failure: Failure): void {
    const pick = this.pick(r, r.deployments, Date.now() + RequestRouter.TIMER_SLACK_MS, r.tried);
    if (pick.ok) return this.dispatch(r, pick.deployment);
    this.fallbackOrGiveUp(r, failure);
  }

  /** The next fallback group with a deployment free to take the request, else the failure goes to the client. */
  private fallbackOrGiveUp(r: Routing, failure: Failure): void {
    let error = failure.error;
    for (;;) {
      const next = this.nextFallbackOf(r, failure.error);
      if (!next || Date.now() + RequestRouter.MIN_ATTEMPT_MS > r.deadline) break;
      const resolved = resolveGroup(this.catalog, next.model)!;
      r.triedGroups.add(next.group);
      r.fallbacks++;
      r.group = next.group;
      r.model = next.model;
      r.deployments = resolved.deployments;
      r.tried = new Set();
      r.retries = 0;
      const narrowed = this.narrow(r, resolved.deployments);
      if (!narrowed.ok) {
        error = narrowed.error;
        continue;
      }
      const now = Date.now();
      const pick = this.pick(r, r.deployments, now);
      this.logger.debug(`request ${r.requestId}: ${failure.error.kind}; falling back to ${next.group}`);
      if (pick.ok) return this.dispatch(r, pick.deployment);
      error = this.unavailable(next.group, pick, now);
    }
    if (failure.outcome) {
      // The translator's own error frame, with its attempt number and meta (trail, usage), and how deep in the
      // fallback chain it failed (the translator reports that on the frames it sends the client only).
      const headers = failure.outcome.headers;
      const meta = parseMeta(failure.outcome);
      if (headers && meta && r.fallbacks > 0)
        headers.set(H.meta, JSON.stringify({ ...meta, fallbackDepth: r.fallbacks }));
      this.nc.publish(r.clientReply, failure.outcome.data, { headers });
      return;
    }
    this.fail(r, error);
  }

  private pick(
    r: Routing,
    deployments: readonly Deployment[],
    now: number,
    tried?: ReadonlySet<string>,
  ): DeploymentPick<Deployment> {
    // The request's own order (provider preferences) wins over the strategy's.
    const pick = pickDeployment(deployments, this.state, now, tried, Math.random, r.choose ?? this.choose?.(r));
    // At its rpm / tpm, a group can take requests again when the minute ends.
    if (!pick.ok && pick.atLimits) return { ...pick, availableAt: minuteEnd(now) };
    return pick;
  }

  /**
   * ── Request-level selection (candidate-filter.ts) ──
   * The one place a group's deployments are narrowed for the request being routed (pre-call checks, provider
   * preferences) and given its own order: sets r.deployments and r.choose for every pick in the group.
   */
  private narrow(r: Routing, deployments: readonly Deployment[]): Candidates {
    r.deployments = deployments;
    r.choose = undefined;
    if (!this.candidates.wants(r.request.header(H.summary))) return { ok: true, deployments };
    const c = this.candidates.narrow(deployments, r.group, r.model, this.summaryOf(r));
    if (c.ok) {
      r.deployments = c.deployments;
      r.choose = c.choose;
    }
    return c;
  }

  private nextFallbackOf(r: Routing, error: GatewayError): { model: string; group: string } | undefined {
    const s = this.summaryOf(r);
    return nextFallback(
      this.settings.fallbacks,
      {
        original: r.original,
        tried: r.triedGroups,
        used: r.fallbacks,
        kind: error.kind,
        requestModels: s?.models,
        disabled: s?.disableFallbacks,
      },
      (model) => resolveGroup(this.catalog, model)?.group,
    );
  }

  /** Why no deployment of a group can take the request (every one cooling down, or at its rpm / tpm). */
  private unavailable(group: string, pick: { availableAt: number; atLimits?: boolean }, now: number): GatewayError {
    const seconds = Math.max(1, Math.ceil((pick.availableAt - now) / 1000));
    if (pick.atLimits) {
      return Errors.rateLimited(
        `Every deployment of model group \`${group}\` is at its rpm / tpm limit for this minute; retry after ${seconds} s.`,
        seconds,
      );
    }
    return {
      ...Errors.unavailable(
        `Every deployment of model group \`${group}\` is cooling down after failures; retry after ${seconds} s.`,
      ),
      retryAfter: seconds,
    };
  }

  private summaryOf(r: Routing): RequestSummary | undefined {
    if (r.summary === undefined) r.summary = decodeSummary(r.request.header(H.summary)) ?? null;
    return r.summary ?? undefined;
  }

  private fail(r: Routing, error: GatewayError): void {
    if (r.attempt === 0) return this.reply(r.request, r.requestId, error);
    // Attempts ran: the request's reply was answered by them (the router's NATS request carries the first
    // reply); later errors go to the gateway's reply subject with the trail of what was tried.
    const frame = errorFrame(error, { trail: r.trail, fallbackDepth: r.fallbacks }, r.requestId, r.attempt);
    this.nc.publish(r.clientReply, frame.data, { headers: frame.headers });
  }

  private reply(request: NatsRequest, requestId: string, error: GatewayError): void {
    const frame = errorFrame(error, {}, requestId);
    try {
      request.respond(frame.data, frame.headers);
    } catch (e) {
      this.logger.error(`request ${requestId}: could not answer: ${(e as Error).message}`);
    }
  }
}
