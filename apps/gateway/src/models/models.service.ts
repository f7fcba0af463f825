import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CONFIG, modelCatalog, type Deployment, type SwitchyardConfig } from '@switchyard/config';
import { Errors } from '@switchyard/contracts';
import { listModels } from '@switchyard/pricing';
import { listModelNames, resolveGroup, type KnownModel, type ModelCatalog } from '@switchyard/routing';
import { AuthService, mayUseModel } from '../auth/auth.service';
import { sendError } from '../http/send-error';
import { groupMode } from './model-mode';

/**
 * OpenAI's model object; `created` is when this gateway started, as configs carry no dates. `mode` is
 * LiteLLM's model_info.mode (what /model/info shows there): `chat`, `embedding`, `image_generation`, ..., so
 * a client can tell the models it may chat with from the others.
 */
interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  mode: string;
}

@Injectable()
export class ModelsService {
  private readonly catalog: ModelCatalog<Deployment>;
  private readonly created = Math.floor(Date.now() / 1000);
  /** Chat models of the price catalogue: what wildcard groups (`groq/*`, `*`) list. */
  private readonly known: readonly KnownModel[] = listModels().filter((m) => m.mode === 'chat');
  private readonly hidden: ReadonlySet<string>;

  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(CONFIG) config: SwitchyardConfig,
  ) {
    this.catalog = modelCatalog(config);
    this.hidden = new Set(config.routerSettings.hiddenAliases ?? []);
  }

  async list(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const auth = await this.auth.authenticate(req.headers, req.ip);
    if (!auth.ok) return sendError(reply, auth.error);
    const data = listModelNames(this.catalog, this.known)
      .filter((name) => !this.hidden.has(name) && mayUseModel(auth.principal, name))
      .map((name) => this.toObject(name));
    void reply.send({ object: 'list', data });
  }

  async get(req: FastifyRequest, reply: FastifyReply, id: string): Promise<void> {
    const auth = await this.auth.authenticate(req.headers, req.ip);
    if (!auth.ok) return sendError(reply, auth.error);
    if (!mayUseModel(auth.principal, id) || !resolveGroup(this.catalog, id))
      return sendError(reply, Errors.modelNotFound(id));
    void reply.send(this.toObject(id));
  }

  private toObject(name: string): ModelObject {
    const group = resolveGroup(this.catalog, name);
    return {
      id: name,
      object: 'model',
      created: this.created,
      owned_by: group?.deployments[0]?.provider ?? 'switchyard',
      mode: groupMode(group?.deployments ?? []),
    };
  }
}
