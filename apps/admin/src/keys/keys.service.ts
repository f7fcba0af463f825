import { Inject, Injectable } from '@nestjs/common';
import { Errors, nanosToUsd } from '@switchyard/contracts';
import {
  KeysRepository,
  TeamsRepository,
  UnitOfWork,
  UsersRepository,
  KeyHasher,
  generateKeySecret,
  keyPrefix,
  modelsOutside,
  type KeyRecord,
  type NewKey,
} from '@switchyard/db';
import { AuditService } from '../audit/audit.service';
import { ApiException } from '../common/api.exception';
import { limitInputOf, limitsJson, modelBudgetInputsOf, modelMaxBudgetJson } from '../common/limits.schemas';
import { budgetToNanos, nanosToUsdOrNull } from '../common/money';
import { isUuid, parseInput } from '../common/parse-input';
import { teamNotFound } from '../teams/teams.service';
import { userNotFound } from '../users/users.service';
import { parseDurationSeconds } from './duration';
import { KeyEventsPublisher } from '@switchyard/nats';
import {
  CreateKeySchema,
  RegenerateKeySchema,
  UpdateKeySchema,
  type CreatedKeyJson,
  type KeyJson,
  type RegeneratedKeyJson,
} from './keys.schemas';

/** Public view of a key: never the secret, never the hash. */
export function toKeyJson(k: KeyRecord): KeyJson {
  return {
    id: k.id,
    key_prefix: k.keyPrefix,
    key_alias: k.keyAlias,
    team_id: k.teamId,
    user_id: k.userId,
    models: k.models,
    max_budget: nanosToUsdOrNull(k.maxBudgetNanos),
    max_budget_nanos: k.maxBudgetNanos?.toString() ?? null,
    spend: nanosToUsd(k.spendNanos),
    spend_nanos: k.spendNanos.toString(),
    metadata: k.metadata,
    ...limitsJson(k.limits),
    model_rpm_limit: k.modelRpmLimit,
    model_tpm_limit: k.modelTpmLimit,
    model_max_budget: modelMaxBudgetJson(k.modelMaxBudget),
    blocked: k.blocked,
    expires_at: k.expiresAt?.toISOString() ?? null,
    revoked_at: k.revokedAt?.toISOString() ?? null,
    created_at: k.createdAt.toISOString(),
  };
}

@Injectable()
export class KeysService {
  constructor(
    @Inject(KeysRepository) private readonly keys: KeysRepository,
    @Inject(TeamsRepository) private readonly teams: TeamsRepository,
    @Inject(UnitOfWork) private readonly uow: UnitOfWork,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(KeyEventsPublisher) private readonly keyEvents: KeyEventsPublisher,
    @Inject(KeyHasher) private readonly hasher: KeyHasher,
    @Inject(UsersRepository) private readonly users: UsersRepository,
  ) {}

  async create(body: unknown): Promise<CreatedKeyJson> {
    const input = parseInput(CreateKeySchema, body);
    const expiresAt = this.expiryOf(input.duration, input.expires_at);
    if (input.user_id != null && !(await this.users.get(input.user_id)))
      throw new ApiException({ ...userNotFound(input.user_id), param: 'user_id' });
    const secret = generateKeySecret();
    const newKey: NewKey = {
      keyHash: this.hasher.hash(secret),
      keyPrefix: keyPrefix(secret),
      keyAlias: input.key_alias ?? null,
      teamId: input.team_id ?? null,
      userId: input.user_id ?? null,
      models: input.models ?? [],
      maxBudgetNanos: budgetToNanos(input.max_budget),
      metadata: input.metadata ?? {},
      limits: limitInputOf(input),
      modelRpmLimit: input.model_rpm_limit ?? {},
      modelTpmLimit: input.model_tpm_limit ?? {},
      ...(input.model_max_budget !== undefined && { modelMaxBudget: modelBudgetInputsOf(input.model_max_budget) }),
      expiresAt,
    };
    const teamId = input.team_id;
    let key = teamId == null ? await this.keys.create(newKey) : await this.createInLiveTeam(teamId, newKey);
    if (input.blocked) key = (await this.keys.update(key.id, { blocked: true })) ?? key;
    await this.audit.record({
      action: 'key.created',
      entity: 'key',
      entityId: key.id,
      details: { team_id: key.teamId, key_alias: key.keyAlias },
      before: null,
      after: toKeyJson(key),
    });
    return { ...toKeyJson(key), key: secret };
  }

  /**
   * The team row stays locked FOR SHARE until the key is inserted and committed, so a concurrent team
   * deletion either waits and then revokes this key too, or commits first and this creation is a 404; a
   * concurrent change of the team's models likewise is judged against before or after, never between.
   * A key may not name models its team does not allow (a 400 naming them); one naming none uses the team's.
   */
  private async createInLiveTeam(teamId: string, newKey: NewKey): Promise<KeyRecord> {
    const notFound = new ApiException({ ...teamNotFound(teamId), param: 'team_id' });
    if (!isUuid(teamId)) throw notFound;
    const key = await this.uow.run(async (trx) => {
      const team = await this.teams.getForShare(teamId, trx);
      if (!team) return undefined;
      const outside = modelsOutside(newKey.models ?? [], team.models);
      if (outside.length > 0) throw new ApiException(modelsOutsideTeam(outside, team.models));
      return this.keys.create(newKey, trx);
    });
    if (!key) throw notFound;
    return key;
  }

  async list(teamId?: unknown): Promise<{ data: KeyJson[] }> {
    if (teamId !== undefined && typeof teamId !== 'string') {
      throw new ApiException(Errors.invalidRequest('team_id must be given once, as a team id.', 'team_id'));
    }
    // A filter by an id that cannot exist matches nothing, rather than failing.
    if (teamId !== undefined && !isUuid(teamId)) return { data: [] };
    return { data: (await this.keys.list({ teamId })).map(toKeyJson) };
  }

  async get(id: string): Promise<KeyJson> {
    return toKeyJson(await this.require(id));
  }

  /** Revokes the key at once: it stays listed (revoked_at set) and every gateway drops it from its cache. */
  async revoke(id: string): Promise<KeyJson> {
    const before = await this.require(id);
    const key = await this.keys.revoke(id);
    if (!key) throw new ApiException(keyNotFound(id));
    await this.keyEvents.publish([{ keyId: key.id, keyHash: key.keyHash, reason: 'revoked' }]);
    await this.audit.record({
      action: 'key.revoked',
      entity: 'key',
      entityId: key.id,
      before: toKeyJson(before),
      after: toKeyJson(key),
    });
    return toKeyJson(key);
  }

  /**
   * Changes the key's limits, models, budget or blocked state; every gateway drops it from its cache at once
   * (a KeyChanged event) and applies the change to its next request.
   */
  async update(id: string, body: unknown, action = 'key.updated'): Promise<KeyJson> {
    const input = parseInput(UpdateKeySchema, body);
    const before = await this.require(id);
    if (input.models !== undefined && before.teamId !== null) {
      const team = await this.teams.get(before.teamId);
      const outside = modelsOutside(input.models, team?.models ?? []);
      if (team && outside.length > 0) throw new ApiException(modelsOutsideTeam(outside, team.models));
    }
    const key = await this.keys.update(id, {
      ...(input.key_alias !== undefined && { keyAlias: input.key_alias }),
      ...(input.models !== undefined && { models: input.models }),
      ...(input.metadata !== undefined && { metadata: input.metadata }),
      ...(input.blocked !== undefined && { blocked: input.blocked }),
      ...(input.model_rpm_limit !== undefined && { modelRpmLimit: input.model_rpm_limit }),
      ...(input.model_tpm_limit !== undefined && { modelTpmLimit: input.model_tpm_limit }),
      ...(input.model_max_budget !== undefined && { modelMaxBudget: modelBudgetInputsOf(input.model_max_budget) }),
      limits: {
        ...limitInputOf(input),
        ...(input.max_budget !== undefined && { maxBudgetNanos: budgetToNanos(input.max_budget) }),
      },
    });
    if (!key) throw new ApiException(keyNotFound(id));
    await this.keyEvents.publish([{ keyId: key.id, keyHash: key.keyHash, reason: 'updated' }]);
    const changed = Object.keys(input);
    await this.audit.record({
      action,
      entity: 'key',
      entityId: key.id,
      details: { changed },
      before: toKeyJson(before),
      after: toKeyJson(key),
    });
    return toKeyJson(key);
  }

  /**
   * A new secret for the key (shown once, stored as its HMAC), optionally with new field values as PATCH takes
   * them. The old secret keeps working for `grace_period` (LiteLLM's, e.g. "24h"), else stops at once; either way
   * every gateway drops what it cached for the old secret (a KeyChanged event) and, past the grace period, refuses
   * it on its next request.
   */
  async regenerate(id: string, body: unknown): Promise<RegeneratedKeyJson> {
    const { grace_period, ...changes } = parseInput(RegenerateKeySchema, body ?? {});
    let graceSeconds = 0;
    if (grace_period != null) {
      const seconds = grace_period === 0 || grace_period === '0' ? 0 : parseDurationSeconds(grace_period);
      if (seconds === undefined)
        throw new ApiException(
          Errors.invalidRequest(
            'Invalid grace_period: how long the old key keeps working, as "24h", "30m", "7d", "45s" or a number of seconds (0: it stops at once).',
            'grace_period',
          ),
        );
      graceSeconds = seconds;
    }
    await this.require(id);
    if (Object.keys(changes).length > 0) await this.update(id, changes);
    const secret = generateKeySecret();
    const now = new Date();
    const validUntil = graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000) : null;
    const rotated = await this.keys.rotateSecret(
      id,
      { keyHash: this.hasher.hash(secret), keyPrefix: keyPrefix(secret) },
      validUntil,
      now,
    );
    if (!rotated)
      throw new ApiException(
        Errors.invalidRequest(`Key ${id} is revoked: a revoked key cannot be regenerated. Create a new key.`, 'id'),
      );
    await this.keyEvents.publish([{ keyId: id, keyHash: rotated.before.keyHash, reason: 'updated' }]);
    await this.audit.record({
      action: 'key.regenerated',
      entity: 'key',
      entityId: id,
      details: {
        grace_period_seconds: graceSeconds,
        previous_key_valid_until: validUntil?.toISOString() ?? null,
        changed: Object.keys(changes),
      },
      // The key as shown (display prefix, never a secret nor a hash), before and after.
      before: toKeyJson(rotated.before),
      after: toKeyJson(rotated.after),
    });
    return {
      ...toKeyJson(rotated.after),
      key: secret,
      previous_key_valid_until: validUntil?.toISOString() ?? null,
    };
  }

  block(id: string, blocked: boolean): Promise<KeyJson> {
    return this.update(id, { blocked }, blocked ? 'key.blocked' : 'key.unblocked');
  }

  async require(id: string): Promise<KeyRecord> {
    const key = isUuid(id) ? await this.keys.get(id) : undefined;
    if (!key) throw new ApiException(keyNotFound(id));
    return key;
  }

  private expiryOf(duration: string | number | null | undefined, expiresAt: string | null | undefined): Date | null {
    if (duration != null && expiresAt != null) {
      throw new ApiException(Errors.invalidRequest('Give either duration or expires_at, not both.', 'duration'));
    }
    if (duration != null) {
      const seconds = parseDurationSeconds(duration);
      if (seconds === undefined) {
        throw new ApiException(
          Errors.invalidRequest(
            'Invalid duration: use a positive number of seconds or a string like "30d", "12h", "15m", "45s" (at most 10 years).',
            'duration',
          ),
        );
      }
      return new Date(Date.now() + seconds * 1000);
    }
    if (expiresAt != null) {
      const at = new Date(expiresAt);
      if (at.getTime() <= Date.now())
        throw new ApiException(Errors.invalidRequest('expires_at must be in the future.', 'expires_at'));
      return at;
    }
    return null;
  }
}

function modelsOutsideTeam(outside: string[], teamModels: string[]) {
  const list = (ms: string[]) =>
    ms
      .slice(0, 20)
      .map((m) => JSON.stringify(m))
      .join(', ') + (ms.length > 20 ? `, ... (${ms.length} in all)` : '');
  return Errors.invalidRequest(
    `The key's models must be among its team's: ${list(outside)} ${outside.length === 1 ? 'is' : 'are'} not allowed to the team, which allows ${list(teamModels)}. Remove ${outside.length === 1 ? 'it' : 'them'} from "models" (or leave "models" empty to use the team's), or add ${outside.length === 1 ? 'it' : 'them'} to the team with PATCH /v1/teams/{id}.`,
    'models',
  );
}

/** Names the key only when what the caller sent is a key id (a uuid): anything else may be a pasted secret. */
function keyNotFound(id: string) {
  return Errors.notFound(
    isUuid(id)
      ? `Key ${id} does not exist. List keys with GET /v1/keys.`
      : 'No key has that id: key ids are uuids, as returned by POST /v1/keys. List keys with GET /v1/keys.',
  );
}
