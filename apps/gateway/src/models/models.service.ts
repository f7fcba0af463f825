import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CONFIG, modelCatalog, type Deployment, type SwitchyardConfig } from '@switchyard/config';
import { Errors } from '@switchyard/contracts';
import { listModels, lookupModel } from '@switchyard/pricing';
import { listModelNames, resolveGroup, type KnownModel, type ModelCatalog } from '@switchyard/routing';
import { AuthService, mayUseModel } from '../auth/auth.service';
import { sendError } from '../http/send-error';
import { knownGroupMode } from './model-mode';

/**
 * OpenAI's model object; `created` is when this gateway started, as configs carry no dates. Beside OpenAI's
 * members, what a client needs to pick a model: `mode` (LiteLLM's model_info.mode, else the catalogue's:
 * `chat`, `embedding`, `completion`, ...), and from the price catalogue, when it knows the model,
 * `context_window` (input tokens), `max_output_tokens` and `capabilities` (tools, vision, json_schema,
 * reasoning, prompt_caching, embeddings). Unknown models carry null and an empty list.
 */
interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  mode: string;
  context_window: number | null;
  max_output_tokens: number | null;
  capabilities: readonly string[];
}

@Injectable()
export class ModelsService {
  private readonly catalog: ModelCatalog<Deployment>;
  private readonly created = Math.floor(Date.now() / 1000);
  /** Chat models of the price catalogue: what wildcard groups (`groq/*`, `*`) list. */
  private readonly known: readonly KnownModel[] = listModels().filter((m) => m.mode === 'chat');
  private readonly hidden: ReadonlySet<string>;
  /** router_settings.auto_routes' virtual models: chat models a client may ask for by name. */
  private readonly autoRoutes: ReadonlySet<string>;

  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(CONFIG) config: SwitchyardConfig,
  ) {
    this.catalog = modelCatalog(config);
    this.hidden = new Set(config.routerSettings.hiddenAliases ?? []);
    this.autoRoutes = new Set(config.routerSettings.autoRoutes.map((r) => r.model));
  }

  async list(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const auth = await this.auth.authenticate(req.headers, req.ip);
    if (!auth.ok) return sendError(reply, auth.error);
    const data = [...listModelNames(this.catalog, this.known), ...this.autoRoutes]
      .filter((name) => !this.hidden.has(name) && mayUseModel(auth.principal, name))
      .map((name) => this.toObject(name));
    void reply.send({ object: 'list', data });
  }

  async get(req: FastifyRequest, reply: FastifyReply, id: string): Promise<void> {
    const auth = await this.auth.authenticate(req.headers, req.ip);
    if (!auth.ok) return sendError(reply, auth.error);
    if (!mayUseModel(auth.principal, id) || (!this.autoRoutes.has(id) && !resolveGroup(this.catalog, id)))
      return sendError(reply, Errors.modelNotFound(id));
    void reply.send(this.toObject(id));
  }

  private toObject(name: string): ModelObject {
    // An auto route's virtual model answers chat through whichever group its rules pick: no one catalogue entry.
    if (this.autoRoutes.has(name))
      return {
        id: name,
        object: 'model',
        created: this.created,
        owned_by: 'switchyard',
        mode: 'chat',
        context_window: null,
        max_output_tokens: null,
        capabilities: [],
      };
    const group = resolveGroup(this.catalog, name);
    const first = group?.deployments[0];
    // A wildcard deployment (`openai/*`) serves the name asked for: the catalogue knows it by that name.
    const upstream = first === undefined || first.model.includes('*') ? name : (first.baseModel ?? first.model);
    const info = lookupModel(upstream);
    return {
      id: name,
      object: 'model',
      created: this.created,
      owned_by: first?.provider ?? 'switchyard',
      mode: knownGroupMode(group?.deployments ?? []) ?? info?.mode ?? 'chat',
      context_window: info?.contextWindow ?? null,
      max_output_tokens: info === undefined || info.mode === 'embedding' ? null : info.maxOutputTokens,
      capabilities: info?.capabilities ?? [],
    };
  }
}
