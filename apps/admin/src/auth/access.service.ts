import { Inject, Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { Errors } from '@switchyard/contracts';
import {
  KEY_SECRET_PREFIX,
  KeyHasher,
  KeysRepository,
  OrganizationsRepository,
  TeamsRepository,
  UsersRepository,
} from '@switchyard/db';
import { ApiException } from '../common/api.exception';
import type { HttpRequest } from '../common/http.types';
import { isUuid } from '../common/parse-input';
import {
  globalAllows,
  keyAllows,
  keyCreateAllows,
  organizationAllows,
  teamAllows,
  teamCreateAllows,
  userAllows,
  type AccessPolicy,
  type KeyFacts,
  type Source,
  type TeamFacts,
} from './access.policy';
import type { Caller } from './caller';
import { MASTER_KEY_DIGEST, digest } from './master-key.provider';

const MISSING = 'Missing credentials. Send "Authorization: Bearer <master key or your virtual key>".';
const INVALID =
  'Invalid key: it is neither the master key nor a live virtual key. Check SWITCHYARD_MASTER_KEY, or ask an admin for a key.';

/**
 * Who the caller is and whether their roles allow a route's policy. Virtual keys are looked up by the same keyed hash
 * the gateway uses (KeyHasher); the user they belong to brings their global role and memberships.
 */
@Injectable()
export class AccessService {
  constructor(
    @Inject(MASTER_KEY_DIGEST) private readonly masterDigest: Buffer,
    @Inject(KeyHasher) private readonly hasher: KeyHasher,
    @Inject(KeysRepository) private readonly keys: KeysRepository,
    @Inject(UsersRepository) private readonly users: UsersRepository,
    @Inject(OrganizationsRepository) private readonly organizations: OrganizationsRepository,
    @Inject(TeamsRepository) private readonly teams: TeamsRepository,
  ) {}

  async callerOf(authorization: unknown): Promise<Caller> {
    const match = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    if (!match) throw new ApiException(Errors.unauthorized(MISSING));
    const secret = match[1]!;
    // Comparing digests keeps the comparison constant-time whatever the length of the guess.
    if (timingSafeEqual(digest(secret), this.masterDigest)) return { kind: 'master' };
    if (!secret.startsWith(KEY_SECRET_PREFIX)) throw new ApiException(Errors.unauthorized(INVALID));
    const key = await this.keys.findByHash(this.hasher.hash(secret), this.hasher.legacy(secret));
    const now = Date.now();
    // Refused here exactly when the gateway refuses it: revoked, blocked (itself or its team), expired.
    if (
      !key ||
      key.revokedAt !== null ||
      key.blocked ||
      key.teamBlocked ||
      (key.expiresAt !== null && key.expiresAt.getTime() <= now)
    )
      throw new ApiException(Errors.unauthorized(INVALID));
    const user = key.userId === null ? undefined : await this.users.get(key.userId);
    if (!user) {
      throw new ApiException(
        Errors.permissionDenied(
          'This virtual key belongs to no user, so it has no admin role. Use the master key, or a key made for a user (user_id) whose role allows this route.',
        ),
      );
    }
    const [teams, orgs] = await Promise.all([
      this.users.teamMemberships(user.id),
      this.organizations.membershipsOf(user.id),
    ]);
    return {
      kind: 'user',
      userId: user.id,
      role: user.userRole,
      keyId: key.id,
      teams: new Map(teams.map((m) => [m.teamId, m.role])),
      organizations: new Map(orgs.map((m) => [m.organizationId, m.role])),
    };
  }

  /** Whether the policy lets the caller make this request (looking up the entities it names). */
  async allows(caller: Caller, policy: AccessPolicy, req: HttpRequest): Promise<boolean> {
    if (caller.kind === 'master') return true;
    switch (policy.kind) {
      case 'global':
        return globalAllows(caller, policy.action);
      case 'caller':
        return true;
      case 'team': {
        const ids = valuesAt(req, policy.from);
        if (ids.length === 0) return policy.orGlobal === true && globalAllows(caller, 'read');
        for (const id of ids) if (!teamAllows(caller, policy.action, await this.team(id))) return false;
        // Moving a team to another organisation (or out of one) is creating it there.
        const moveTo = policy.action === 'write' ? bodyOf(req)['organization_id'] : undefined;
        return moveTo === undefined || teamCreateAllows(caller, str(moveTo) ?? null);
      }
      case 'team_create':
        return teamCreateAllows(caller, str(bodyOf(req)['organization_id']));
      case 'key': {
        const refs = valuesAt(req, policy.from);
        if (refs.length === 0) return policy.orGlobal === true && globalAllows(caller, 'read');
        for (const ref of refs) if (!keyAllows(caller, policy.action, await this.key(ref))) return false;
        return true;
      }
      case 'key_create': {
        const b = bodyOf(req);
        const teamId = b['team_id'];
        const team = teamId == null ? null : await this.team(teamId);
        return keyCreateAllows(caller, team, b['user_id']);
      }
      case 'organization': {
        const ids = valuesAt(req, policy.from);
        if (ids.length === 0) return false;
        return ids.every((id) => organizationAllows(caller, policy.action, isUuid(id) ? id : undefined));
      }
      case 'user': {
        const ids = valuesAt(req, policy.from);
        if (ids.length === 0) return policy.orSelf === true;
        for (const id of ids) {
          const user = typeof id === 'string' ? await this.users.get(id) : undefined;
          if (!userAllows(caller, policy.action, user && { id: user.id, organizationId: user.organizationId }))
            return false;
        }
        return true;
      }
    }
  }

  private async team(id: unknown): Promise<TeamFacts | undefined> {
    if (!isUuid(id)) return undefined;
    const t = await this.teams.get(id);
    return t && { id: t.id, organizationId: t.organizationId };
  }

  private async key(ref: unknown): Promise<KeyFacts | undefined> {
    if (typeof ref !== 'string') return undefined;
    const k = ref.startsWith(KEY_SECRET_PREFIX)
      ? await this.keys.findByHash(this.hasher.hash(ref), this.hasher.legacy(ref))
      : isUuid(ref)
        ? await this.keys.get(ref)
        : undefined;
    if (!k) return undefined;
    return { id: k.id, userId: k.userId, team: k.teamId === null ? undefined : await this.team(k.teamId) };
  }
}

function bodyOf(req: HttpRequest): Record<string, unknown> {
  const b: unknown = req.body;
  return b !== null && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : {};
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The values the request gives at `from` (a list field gives each of its entries). */
function valuesAt(req: HttpRequest, from: Source): unknown[] {
  const bag: Record<string, unknown> =
    from.in === 'param'
      ? ((req.params ?? {}) as Record<string, unknown>)
      : from.in === 'query'
        ? ((req.query ?? {}) as Record<string, unknown>)
        : bodyOf(req);
  const v = bag[from.field];
  if (v === undefined || v === null || v === '') return [];
  return Array.isArray(v) ? v : [v];
}
