import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CONFIG, modelCatalog, type Deployment, type SwitchyardConfig } from '@switchyard/config';
import { Errors, storableText, type GatewayError, type RequestSummary } from '@switchyard/contracts';
import { resolveGroup, type ModelCatalog } from '@switchyard/routing';
import { AuthService, mayUseModel, type Principal } from '../auth/auth.service';
import type { ClientCodec } from '../codecs/client-codec';
import { answersChat, groupMode } from '../models/model-mode';
import { EndUserLimitsService } from '../limits/end-user-limits.service';
import { ADMISSION_CHECKS, type AdmissionCheck, type AdmissionEffects } from './admission-check';

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

  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(CONFIG) config: SwitchyardConfig,
    @Inject(ADMISSION_CHECKS) private readonly checks: AdmissionCheck[],
    @Inject(EndUserLimitsService) private readonly endUsers: EndUserLimitsService,
  ) {
    this.catalog = modelCatalog(config);
  }

  async admit(req: FastifyRequest, codec: ClientCodec, requestId: string): Promise<Admission> {
    const auth = await this.authenticate(req);
    if (!auth.ok) return { ok: false, error: auth.error };
    const principal = auth.principal;
    const parsed = codec.summarise(req.body);
    if (!parsed.ok) return { ok: false, error: parsed.error, principal };
    const summary = parsed.value;
    const group = mayUseModel(principal, summary.model) ? resolveGroup(this.catalog, summary.model) : undefined;
    if (!group) return { ok: false, error: Errors.modelNotFound(summary.model), principal, summary };
    const mode = groupMode(group.deployments);
    if (codec.api === 'openai.chat' && !answersChat(mode)) {
      return {
        ok: false,
        error: Errors.invalidRequest(
          `The model \`${summary.model}\` is a${/^[aeiou]/.test(mode) ? 'n' : ''} ${mode} model (model_info.mode), not a chat model: it cannot answer chat completions. Pick a model whose mode in GET /v1/models is "chat".`,
          'model',
          'model_not_chat',
        ),
        principal,
        summary,
      };
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
