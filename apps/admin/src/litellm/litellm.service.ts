import { Inject, Injectable } from '@nestjs/common';
import type { UsageFilter } from '@switchyard/analytics';
import { AnalyticsService } from '../analytics/analytics.service';
import type { LitellmSpendLog } from '../analytics/litellm-spend';
import { instant, single } from '../spend/spend-query';
import { z } from 'zod';
import { Errors } from '@switchyard/contracts';
import {
  KEY_SECRET_PREFIX,
  KeyHasher,
  KeysRepository,
  TeamsRepository,
  UsersRepository,
  keyPrefix,
} from '@switchyard/db';
import { ApiException } from '../common/api.exception';
import { isUuid, parseInput } from '../common/parse-input';
import {
  CreateKeySchema,
  RegenerateKeySchema,
  UpdateKeySchema,
  type CreatedKeyJson,
  type KeyJson,
  type RegeneratedKeyJson,
} from '../keys/keys.schemas';
import { KeysService, toKeyJson } from '../keys/keys.service';
import { CreateTeamSchema, UpdateTeamSchema, type TeamJson } from '../teams/teams.schemas';
import { TeamsService } from '../teams/teams.service';
import { UsersService } from '../users/users.service';
import { pickLitellmFields as pick } from './litellm-body';

const DeleteKeysSchema = z.object({ keys: z.array(z.string().min(1)).min(1).max(1000) });

/** LiteLLM proxy-compatible routes, mapped onto the /v1 services. */
@Injectable()
export class LitellmService {
  constructor(
    @Inject(KeysService) private readonly keys: KeysService,
    @Inject(TeamsService) private readonly teams: TeamsService,
    @Inject(KeysRepository) private readonly keysRepo: KeysRepository,
    @Inject(TeamsRepository) private readonly teamsRepo: TeamsRepository,
    @Inject(AnalyticsService) private readonly analytics: AnalyticsService,
    @Inject(KeyHasher) private readonly hasher: KeyHasher,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(UsersRepository) private readonly usersRepo: UsersRepository,
  ) {}

  private findBySecret(secret: string) {
    return this.keysRepo.findByHash(this.hasher.hash(secret), this.hasher.legacy(secret));
  }

  /**
   * LiteLLM's GET /spend/logs: `api_key` (a key id or the key itself), `user_id`, `request_id`, `start_date`,
   * `end_date` (end inclusive, as LiteLLM reads a date).
   */
  async spendLogs(query: Record<string, unknown>): Promise<LitellmSpendLog[]> {
    const filter = litellmDates(query);
    const apiKey = single(query, 'api_key');
    if (apiKey !== undefined) filter.equals = { ...filter.equals, key: await this.spendKeyId(apiKey) };
    const user = single(query, 'user_id');
    if (user !== undefined) filter.equals = { ...filter.equals, user };
    const requestId = single(query, 'request_id');
    if (requestId !== undefined) {
      if (!/^[\x21-\x7e]{1,128}$/.test(requestId))
        throw new ApiException(Errors.invalidRequest('Invalid request_id.', 'request_id'));
      filter.requestId = requestId;
    }
    return this.analytics.litellmSpendLogs(filter);
  }

  /** A key named as LiteLLM clients name it: its id, or the key itself (never echoed back). */
  private async spendKeyId(apiKey: string): Promise<string> {
    const id = apiKey.startsWith(KEY_SECRET_PREFIX)
      ? (await this.findBySecret(apiKey))?.id
      : isUuid(apiKey)
        ? apiKey
        : undefined;
    if (id === undefined)
      throw new ApiException(
        Errors.invalidRequest('Invalid api_key: give a key id (GET /v1/keys) or a key this proxy issued.', 'api_key'),
      );
    return id;
  }

  /**
   * LiteLLM's GET /global/spend/report?start_date=&end_date=&group_by=team|customer|api_key; with `api_key=` or
   * `internal_user_id=`, LiteLLM's per-key report of that key or of that user's keys instead.
   */
  async globalSpendReport(query: Record<string, unknown>): Promise<Record<string, unknown>[]> {
    const filter = litellmDates(query);
    const apiKey = single(query, 'api_key');
    const owner = single(query, 'internal_user_id');
    if (apiKey !== undefined || owner !== undefined) {
      if (apiKey !== undefined) filter.equals = { ...filter.equals, key: await this.spendKeyId(apiKey) };
      if (owner !== undefined) filter.equals = { ...filter.equals, user: owner };
      return this.analytics.keySpendReport(filter);
    }
    const group = single(query, 'group_by') ?? 'team';
    if (group !== 'team' && group !== 'customer' && group !== 'api_key')
      throw new ApiException(Errors.invalidRequest('Invalid group_by: use team, customer or api_key.', 'group_by'));
    return this.analytics.globalSpendReport(filter, group, (ids) => this.teamsRepo.aliases(ids));
  }

  /** LiteLLM's /key/generate: a user_id no user has yet makes that user (internal_user), as LiteLLM does. */
  async generateKey(body: unknown): Promise<CreatedKeyJson & { expires: string | null; token_id: string }> {
    const userId = pick(body, ['user_id'])['user_id'];
    if (typeof userId === 'string' && userId !== '' && !(await this.usersRepo.get(userId)))
      await this.users.create({ user_id: userId });
    const created = await this.keys.create(pick(body, Object.keys(CreateKeySchema.shape)));
    return { ...created, expires: created.expires_at, token_id: created.id };
  }

  /**
   * Accepts key ids or the secrets themselves, as LiteLLM does. Every entry is resolved first: if any
   * does not exist, nothing is revoked.
   */
  async deleteKeys(body: unknown): Promise<{ deleted_keys: string[] }> {
    const { keys } = parseInput(DeleteKeysSchema, pick(body, ['keys']));
    const ids: string[] = [];
    const missing: string[] = [];
    for (const k of keys) {
      const isSecret = k.startsWith(KEY_SECRET_PREFIX);
      const found = isSecret ? await this.findBySecret(k) : isUuid(k) ? await this.keysRepo.get(k) : undefined;
      if (found) ids.push(found.id);
      // Never echo a secret back: a missing one is named by its display prefix, and only key ids (uuids) are
      // named in full, since anything else may be a secret of another shape pasted here.
      else missing.push(isSecret ? keyPrefix(k) : isUuid(k) ? k : 'an entry that is neither a key id nor a key');
    }
    if (missing.length > 0) {
      throw new ApiException({
        ...Errors.notFound(
          `These keys do not exist: ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', ...' : ''}. ` +
            'Nothing was revoked; remove them from "keys" and retry. List keys with GET /v1/keys.',
        ),
        param: 'keys',
      });
    }
    for (const id of ids) await this.keys.revoke(id);
    return { deleted_keys: ids };
  }

  /** LiteLLM's /key/update: `key` (id or secret) names the key; the other known fields change it. */
  async updateKey(body: unknown): Promise<KeyJson> {
    const id = await this.keyIdOf(pick(body, ['key'])['key']);
    return this.keys.update(id, pick(body, Object.keys(UpdateKeySchema.shape)));
  }

  /** LiteLLM's /key/block and /key/unblock: `{"key": <id or secret>}`. */
  async blockKey(body: unknown, blocked: boolean): Promise<KeyJson> {
    return this.keys.block(await this.keyIdOf(pick(body, ['key'])['key']), blocked);
  }

  private async keyIdOf(key: unknown): Promise<string> {
    if (typeof key !== 'string' || key === '')
      throw new ApiException(Errors.invalidRequest('Name the key in "key": its id or the key itself.', 'key'));
    return key.startsWith(KEY_SECRET_PREFIX) ? ((await this.findBySecret(key))?.id ?? '') : key;
  }

  /**
   * LiteLLM's /key/regenerate (`key` in the body) and /key/{key}/regenerate: the key by id or secret; the known
   * fields (grace_period, max_budget, ...) as POST /v1/keys/{id}/regenerate takes them.
   */
  async regenerateKey(
    pathKey: string | undefined,
    body: unknown,
  ): Promise<RegeneratedKeyJson & { token_id: string; key_name: string; expires: string | null }> {
    const src = body === undefined || body === null ? {} : body;
    // LiteLLM lets the caller choose the new secret; Switchyard always generates it (refused rather than ignored).
    if (pick(src, ['new_key'])['new_key'] !== undefined)
      throw new ApiException(
        Errors.invalidRequest(
          'new_key is not supported: the new secret is always generated (and returned once). Remove new_key.',
          'new_key',
        ),
      );
    const id = await this.keyIdOf(pathKey ?? pick(src, ['key'])['key']);
    const r = await this.keys.regenerate(id, pick(src, Object.keys(RegenerateKeySchema.shape)));
    return { ...r, token_id: r.id, key_name: r.key_prefix, expires: r.expires_at };
  }

  /**
   * LiteLLM's GET /key/list: key ids (never secrets nor hashes), or whole key objects with return_full_object=true;
   * page (from 1) and size (1 to 100, default 10); filters user_id, team_id, key_alias (exact).
   */
  async listKeys(query: Record<string, unknown>): Promise<{
    keys: (string | (KeyJson & { token_id: string; key_name: string }))[];
    total_count: number;
    current_page: number;
    total_pages: number;
  }> {
    const q = parseInput(KeyListQuerySchema, query);
    const offset = (q.page - 1) * q.size;
    const filter = { teamId: q.team_id, userId: q.user_id, keyAlias: q.key_alias };
    // A team id that cannot exist matches nothing, rather than failing (as GET /v1/keys).
    const { keys, total } =
      q.team_id !== undefined && !isUuid(q.team_id)
        ? { keys: [], total: 0 }
        : await this.keysRepo.listPage(filter, offset, q.size);
    return {
      keys: keys.map((k) => (q.return_full_object ? { ...toKeyJson(k), token_id: k.id, key_name: k.keyPrefix } : k.id)),
      total_count: total,
      current_page: q.page,
      total_pages: Math.ceil(total / q.size),
    };
  }

  async keyInfo(key: unknown): Promise<{ key: string; info: KeyJson }> {
    if (typeof key !== 'string' || key === '')
      throw new ApiException(Errors.invalidRequest('Give the key id as ?key=<id>.', 'key'));
    const id = key.startsWith(KEY_SECRET_PREFIX) ? ((await this.findBySecret(key))?.id ?? '') : key;
    const info = await this.keys.get(id);
    return { key: info.id, info };
  }

  async newTeam(body: unknown): Promise<TeamJson & { team_id: string }> {
    const team = await this.teams.create(pick(body, Object.keys(CreateTeamSchema.shape)));
    return { ...team, team_id: team.id };
  }

  async updateTeam(body: unknown): Promise<TeamJson & { team_id: string }> {
    const { team_id } = parseInput(TeamIdSchema, pick(body, ['team_id']));
    const team = await this.teams.update(team_id, pick(body, Object.keys(UpdateTeamSchema.shape)));
    return { ...team, team_id: team.id };
  }
}

const TeamIdSchema = z.object({ team_id: z.string().min(1) });

const queryInt = (name: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,6}$/, `${name} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be between ${min} and ${max}`)
    .optional()
    .transform((n) => n ?? fallback);

/** LiteLLM's /key/list query: anything else is refused rather than ignored. */
const KeyListQuerySchema = z.strictObject({
  page: queryInt('page', 1, 1_000_000, 1),
  size: queryInt('size', 1, 100, 10),
  user_id: z.string().min(1).max(256).optional(),
  team_id: z.string().min(1).max(256).optional(),
  key_alias: z.string().min(1).max(256).optional(),
  return_full_object: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true'),
});

/** start_date / end_date as LiteLLM takes them (dates; the end date counts whole). */
function litellmDates(query: Record<string, unknown>): UsageFilter {
  const from = instant(query, 'start_date');
  const end = instant(query, 'end_date');
  const endText = single(query, 'end_date');
  // A bare date means through the end of that day.
  const to = end && endText && /^\d{4}-\d{2}-\d{2}$/.test(endText) ? new Date(end.getTime() + 86_400_000) : end;
  if (from && to && from.getTime() >= to.getTime())
    throw new ApiException(Errors.invalidRequest('start_date is after end_date.', 'start_date'));
  return { from, to, equals: {} };
}
