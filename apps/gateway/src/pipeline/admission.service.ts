import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CONFIG, modelCatalog, type Deployment, type SwitchyardConfig } from '@switchyard/config';
import { Errors, storableText, type GatewayError, type RequestSummary } from '@switchyard/contracts';
import { resolveGroup, type ModelCatalog } from '@switchyard/routing';
import { AuthService, mayUseModel, type Principal } from '../auth/auth.service';
import type { ClientCodec } from '../codecs/client-codec';
import { knownGroupMode, modeRefusal } from '../models/model-mode';
import { EndUserLimitsService } from '../limits/end-user-limits.service';
import { ADMISSION_CHECKS, type AdmissionCheck, type AdmissionEffects } from './admission-check';
import { readTimeoutSeconds } from './request-timeout';
import { AutoRouter } from './auto-router';

/** Names the request's end user (customer), over the body's `user` field. */
export const END_USER_HEADER = 'x-switchyard-end-user';

export type Admission = (
  | { ok: true; principal: Principal; summary: RequestSummary }
  | { ok: false; error: GatewayError; principal?: Principal; summary?: RequestSummary }
) & { effects?: AdmissionEffects };

/**
 * The same steps for every front door: auth → validation (the client API's codec) → model access → the
 * admission checks (limits and budgets). The first step that refuses answers the request.
 */
@Injectable()
export class AdmissionService {
  private readonly logger = new Logger('Admission');
  private readonly catalog: ModelCatalog<Deployment>;
  private readonly groupTimeouts: SwitchyardConfig['routerSettings']['groupTimeouts'];
  private readonly autoRouter: AutoRouter;

  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(CONFIG) config: SwitchyardConfig,
    @Inject(ADMISSION_CHECKS) private readonly checks: AdmissionCheck[],
    @Inject(EndUserLimitsService) private readonly endUsers: EndUserLimitsService,
  ) {
    this.catalog = modelCatalog(config);
    this.groupTimeouts = config.routerSettings.groupTimeouts;
    this.autoRouter = new AutoRouter(config.routerSettings.autoRoutes);
  }

  async admit(req: FastifyRequest, codec: ClientCodec, requestId: string): Promise<Admission> {
    const auth = await this.authenticate(req);
    if (!auth.ok) return { ok: false, error: auth.error };
    const principal = auth.principal;
    const parsed = codec.summarise(req.body, req.headers);
    if (!parsed.ok) return { ok: false, error: parsed.error, principal };
    const summary = parsed.value;
    // An auto route's virtual model: access is to the name asked for; the group is the one its rules chose.
    this.autoRouter.apply(summary, req.body);
    const asked = summary.autoRoute?.from ?? summary.model;
    const group = mayUseModel(principal, asked) ? resolveGroup(this.catalog, summary.model) : undefined;
    if (!group) return { ok: false, error: Errors.modelNotFound(asked), principal, summary };
    const deadline = this.requestTimeout(req, summary, group.group);
    if (deadline !== undefined && typeof deadline !== 'number')
      return { ok: false, error: deadline, principal, summary };
    if (deadline !== undefined) summary.timeoutMs = deadline;
    const refusal = modeRefusal(codec.api, knownGroupMode(group.deployments), summary.model);
    if (refusal !== undefined) {
      const code = codec.api === 'openai.embeddings' ? 'model_not_embedding' : 'model_not_chat';
      return { ok: false, error: Errors.invalidRequest(refusal, 'model', code), principal, summary };
    }
    // The end user (customer): x-switchyard-end-user over the body's `user`; it is charged and limited as such.
    const endUserHeader = req.headers[END_USER_HEADER];
    if (typeof endUserHeader === 'string' && endUserHeader !== '') summary.user = storableText(endUserHeader, 256);
    const endUser = summary.user === undefined ? undefined : this.endUsers.get(summary.user);
    if (endUser?.blocked) {
      return {
        ok: false,
        error: Errors.permissionDenied(
          `The end user "${endUser.id}" is blocked. Ask an admin to unblock it (POST /customer/unblock), or send another user.`,
        ),
        principal,
        summary,
      };
    }
    const effects: AdmissionEffects = { headers: {}, onEnd: [] };
    const ctx = {
      requestId,
      clientApi: codec.api,
      principal,
      summary,
      deployments: group.deployments,
      endUser: endUser?.limits,
      headers: effects.headers,
      onEnd: (fn: () => void) => effects.onEnd.push(fn),
    };
    for (const c of this.checks) {
      let refusal: GatewayError | undefined;
      try {
        refusal = await c.check(ctx);
      } catch (e) {
        this.logger.error(`admission check ${c.name} failed: ${(e as Error).message}`);
        refusal = Errors.unavailable('The gateway cannot check this request right now. Retry in a moment.');
      }
      if (refusal) {
        // A refused request ran nothing: whatever earlier checks took is given back now.
        for (const fn of effects.onEnd.splice(0)) fn();
        return { ok: false, error: refusal, principal, summary, effects };
      }
    }
    return { ok: true, principal, summary, effects };
  }

  /**
   * The request's whole deadline, ms: its body's `timeout`, else the `x-switchyard-timeout` header (or LiteLLM's
   * `x-litellm-timeout`), in seconds; else its model group's; undefined for router_settings.timeout.
   */
  private requestTimeout(
    req: FastifyRequest,
    summary: RequestSummary,
    group: string,
  ): number | undefined | GatewayError {
    if (summary.timeoutMs !== undefined) return summary.timeoutMs;
    for (const name of ['x-switchyard-timeout', 'x-litellm-timeout']) {
      const header = req.headers[name];
      if (header === undefined) continue;
      const ms = readTimeoutSeconds(Array.isArray(header) ? header[0] : header, name);
      if (typeof ms === 'object') return Errors.invalidRequest(`${ms.invalid} (header)`, name, 'invalid_value');
      if (ms !== undefined) return ms;
    }
    return this.groupTimeouts[group]?.timeoutMs;
  }

  /** The caller's principal, for a request refused before admission could run (bad JSON, too large). */
  async principalOf(req: FastifyRequest): Promise<Principal | undefined> {
    try {
      const auth = await this.authenticate(req);
      return auth.ok ? auth.principal : undefined;
    } catch {
      return undefined;
    }
  }

  private authenticate(req: FastifyRequest) {
    return this.auth.authenticate(req.headers, req.ip);
  }
}
