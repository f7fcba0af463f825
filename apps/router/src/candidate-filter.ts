import type { Deployment, SwitchyardConfig } from '@switchyard/config';
import type { GatewayError, RequestSummary } from '@switchyard/contracts';
import { lookupModel, type ModelInfo } from '@switchyard/pricing';
import { estimateTokens, unsupportedParams } from '@switchyard/providers';
import {
  applyProviderPreferences,
  matchesProviderSlug,
  parseProviderPreferences,
  pickInOrder,
  preCallCheck,
  REQUEST_NEEDS,
  upstreamModelFor,
  type Chooser,
  type LatencyView,
  type ModelLimits,
  type PreferenceFacts,
  type RequestNeed,
} from '@switchyard/routing';

export type Candidates =
  | {
      ok: true;
      deployments: readonly Deployment[];
      /** Set when the request's provider preferences fix the order: the first not cooling down or tried serves. */
      choose?: Chooser<Deployment>;
    }
  /** None of the group can take the request; `contextWindow` when for size (context_window_fallbacks apply). */
  | { ok: false; error: GatewayError; contextWindow: boolean };

/**
 * The deployments of a group that may serve one request, before the routing strategy picks among them: the
 * pre-call checks (router_settings.enable_pre_call_checks: context window and capabilities, from the pricing
 * catalogue and model_info) and OpenRouter's provider preferences of the request (`provider`). Policy lives in
 * libs/routing; this feeds it what the router knows of each deployment. Per request it costs nothing when
 * neither applies: `wants()` says whether the summary must be read at all.
 */
export class CandidateFilter {
  private readonly preCallChecks: boolean;
  /** Catalogue entries of deployments that send one fixed model (wildcard ones look theirs up per request). */
  private readonly infos = new Map<string, ModelInfo | undefined>();
  /** The same for their limits, so a request with pre-call checks on builds nothing per deployment. */
  private readonly limits = new Map<string, ModelLimits | undefined>();

  constructor(
    config: SwitchyardConfig,
    private readonly latency: LatencyView,
  ) {
    this.preCallChecks = config.routerSettings.preCallChecks;
  }

  /** Whether the request's summary is needed to choose its candidates (a JSON parse the first attempt skips otherwise). */
  wants(summaryHeader: string): boolean {
    // `"provider":` appears in the summary's JSON only as a key (quotes inside strings are escaped).
    return summaryHeader !== '' && (this.preCallChecks || summaryHeader.includes('"provider":'));
  }

  narrow(
    deployments: readonly Deployment[],
    group: string,
    model: string,
    summary: RequestSummary | undefined,
  ): Candidates {
    if (!summary) return { ok: true, deployments };
    let left = deployments;
    if (this.preCallChecks) {
      const checked = preCallCheck(
        left,
        { promptTokens: estimateTokens(summary.promptChars), maxTokens: summary.maxTokens, needs: summary.needs ?? [] },
        (d) => this.limitsOf(d, model),
        group,
      );
      if (!checked.ok) return checked;
      left = checked.deployments;
    }
    if (summary.provider === undefined) return { ok: true, deployments: left };
    // Checked by the gateway already; a summary from elsewhere that does not parse routes as if it had none.
    const prefs = parseProviderPreferences(summary.provider);
    if (!prefs.ok) return { ok: true, deployments: left };
    const applied = applyProviderPreferences(left, prefs.value, this.facts(model, summary.params ?? []), group);
    if (!applied.ok) return { ok: false, error: applied.error, contextWindow: false };
    return {
      ok: true,
      deployments: applied.deployments,
      ...(applied.ordered && { choose: pickInOrder }),
    };
  }

  private facts(model: string, params: readonly string[]): PreferenceFacts<Deployment> {
    return {
      matches: matchesProviderSlug,
      priceOf: (d) => {
        const info = this.infoOf(d, model);
        return info && { prompt: info.usdPerMTok.input, completion: info.usdPerMTok.output };
      },
      latencyMs: (d) => this.latency.latencyMs(d.id),
      unsupportedParams: (d) => unsupportedParams({ provider: d.provider, model: upstreamModelFor(d, model) }, params),
    };
  }

  private limitsOf(d: Deployment, model: string): ModelLimits | undefined {
    if (d.model.includes('*') && !d.baseModel) return this.limitsFrom(d, model);
    if (!this.limits.has(d.id)) this.limits.set(d.id, this.limitsFrom(d, model));
    return this.limits.get(d.id);
  }

  private limitsFrom(d: Deployment, model: string): ModelLimits | undefined {
    const info = this.infoOf(d, model);
    const stated = d.modelInfo;
    if (!info && !stated) return undefined;
    const lacks = new Set<RequestNeed>();
    // A catalogue entry without capabilities says nothing of them; one with some lists all the model has.
    if (info && info.capabilities.length > 0)
      for (const n of REQUEST_NEEDS) if (!(info.capabilities as readonly string[]).includes(n)) lacks.add(n);
    for (const [need, yes] of Object.entries(stated?.supports ?? {}) as [RequestNeed, boolean][]) {
      if (yes) lacks.delete(need);
      else lacks.add(need);
    }
    const contextWindow = stated?.contextWindow ?? info?.contextWindow;
    return { ...(contextWindow !== undefined && { contextWindow }), lacks };
  }

  /** The catalogue entry of the model a deployment serves for this request: model_info.base_model first. */
  private infoOf(d: Deployment, model: string): ModelInfo | undefined {
    if (d.baseModel) return this.cached(d.id, () => lookupModel(d.baseModel!));
    if (d.model.includes('*')) return lookupModel(`${d.provider}/${upstreamModelFor(d, model)}`);
    return this.cached(d.id, () => lookupModel(`${d.provider}/${d.model}`));
  }

  private cached(id: string, find: () => ModelInfo | undefined): ModelInfo | undefined {
    if (!this.infos.has(id)) this.infos.set(id, find());
    return this.infos.get(id);
  }
}
