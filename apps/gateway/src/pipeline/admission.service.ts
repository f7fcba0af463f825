import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CONFIG, modelCatalog, type Deployment, type SwitchyardConfig } from '@switchyard/config';
import { Errors, type GatewayError, type RequestSummary } from '@switchyard/contracts';
import { resolveGroup, type ModelCatalog } from '@switchyard/routing';
import { AuthService, mayUseModel, type Principal } from '../auth/auth.service';
import type { ClientCodec } from '../codecs/client-codec';
import { knownGroupMode, modeRefusal } from '../models/model-mode';
import { ADMISSION_CHECKS, type AdmissionCheck } from './admission-check';

export type Admission =
  | { ok: true; principal: Principal; summary: RequestSummary }
  | { ok: false; error: GatewayError; principal?: Principal; summary?: RequestSummary };

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
    const refusal = modeRefusal(codec.api, knownGroupMode(group.deployments), summary.model);
    if (refusal !== undefined) {
      const code = codec.api === 'openai.embeddings' ? 'model_not_embedding' : 'model_not_chat';
      return { ok: false, error: Errors.invalidRequest(refusal, 'model', code), principal, summary };
    }
    for (const c of this.checks) {
      let refusal: GatewayError | undefined;
      try {
        refusal = await c.check({ requestId, clientApi: codec.api, principal, summary });
      } catch (e) {
        this.logger.error(`admission check ${c.name} failed: ${(e as Error).message}`);
        refusal = Errors.unavailable('The gateway cannot check this request right now. Retry in a moment.');
      }
      if (refusal) return { ok: false, error: refusal, principal, summary };
    }
    return { ok: true, principal, summary };
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
    return this.auth.authenticate(req.headers);
  }
}
