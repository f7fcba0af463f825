import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { CONFIG, ENV, resolveMasterKey, type Env, type SwitchyardConfig } from '@switchyard/config';
import { Errors, type GatewayError } from '@switchyard/contracts';
import { KeyHasher, type LimitScope, type ModelBudget } from '@switchyard/db';
import { AuthThrottle } from './auth-throttle';
import { KeyCacheService } from './key-cache.service';

/** Budgets and rate limits of a virtual key and every level above it, as its cache entry holds them. */
export interface PrincipalLimits {
  keyAlias: string | null;
  /** key, user, team, organisation: in that order, each with its limits (possibly none). */
  scopes: readonly LimitScope[];
  modelRpmLimit: Readonly<Record<string, number>>;
  modelTpmLimit: Readonly<Record<string, number>>;
  /** Per-model budgets on the key (model_max_budget), each a budget level of its own. */
  modelMaxBudget: readonly ModelBudget[];
}

/** Who is calling: the master key (everything allowed) or a virtual key with its limits. */
export interface Principal {
  kind: 'master' | 'key';
  keyId: string | null;
  teamId: string | null;
  userId: string | null;
  organizationId: string | null;
  /** Models this caller may use: every level's limit applied (key, team); null means any. */
  models: readonly string[] | null;
  /** Null for the master key, which nothing limits. */
  limits: PrincipalLimits | null;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; error: GatewayError };

const MASTER: Principal = {
  kind: 'master',
  keyId: null,
  teamId: null,
  userId: null,
  organizationId: null,
  models: null,
  limits: null,
};

@Injectable()
export class AuthService {
  private readonly logger = new Logger('Auth');
  private readonly masterDigest: Buffer;
  private readonly throttle: AuthThrottle;

  constructor(
    @Inject(KeyCacheService) private readonly cache: KeyCacheService,
    @Inject(CONFIG) config: SwitchyardConfig,
    @Inject(ENV) env: Env,
    @Inject(KeyHasher) private readonly hasher: KeyHasher,
  ) {
    this.throttle = new AuthThrottle(env.SWITCHYARD_AUTH_FAILURES_PER_MINUTE, 60_000);
    // The same key main.ts's listen policy judged (SWITCHYARD_MASTER_KEY, the config's, or the demo key on loopback).
    this.masterDigest = sha256(resolveMasterKey(config.masterKeySetting, process.env).value);
  }

  /** `clientAddress`: where the request came from, for the throttle of failed attempts (none: not throttled). */
  async authenticate(headers: IncomingHttpHeaders, clientAddress?: string): Promise<AuthResult> {
    const presented = presentedKey(headers);
    if (!presented.ok) return fail(presented.message);
    const secret = presented.secret;
    const digest = sha256(secret);
    if (timingSafeEqual(digest, this.masterDigest)) return { ok: true, principal: MASTER };
    const hash = this.hasher.hash(secret);
    // Only what would query Postgres is throttled: keys the cache holds keep working from a throttled address.
    if (clientAddress !== undefined && !this.cache.answersFromMemory(hash)) {
      const wait = this.throttle.retryInMs(clientAddress);
      if (wait > 0) {
        return {
          ok: false,
          error: Errors.rateLimited(
            `Too many failed authentication attempts from your address. Retry in ${Math.ceil(wait / 1000)} s with a valid API key.`,
            Math.ceil(wait / 1000),
          ),
        };
      }
    }
    return this.check(secret, hash, clientAddress);
  }

  private async check(secret: string, hash: string, clientAddress: string | undefined): Promise<AuthResult> {
    let record;
    try {
      record = await this.cache.get(hash, this.hasher.legacy(secret));
    } catch (e) {
      this.logger.error(`key lookup failed: ${(e as Error).message}. Check Postgres (DATABASE_URL).`);
      return {
        ok: false,
        error: Errors.unavailable('The gateway cannot check API keys right now. Retry in a moment.'),
      };
    }
    if (!record) {
      if (clientAddress !== undefined) this.throttle.fail(clientAddress);
      return fail(`Incorrect API key provided: ${redact(secret)}. Create a key with POST /v1/keys on the admin API.`);
    }
    const refusal = keyRefusal(record, Date.now());
    if (refusal === 'expired')
      return fail(`The API key ${redact(secret)} has expired. Ask an admin for a new key, or for a later expiry.`);
    if (refusal === 'revoked')
      return fail(`The API key ${redact(secret)} has been revoked. Ask an admin for a new key.`);
    if (record.secretRevokeAt && record.secretRevokeAt.getTime() <= Date.now())
      return fail(
        `The API key ${redact(secret)} was regenerated and its grace period ended at ${record.secretRevokeAt.toISOString()}. Use the new key.`,
      );
    if (record.blocked)
      return fail(`The API key ${redact(secret)} is blocked. Ask an admin to unblock it (POST /key/unblock).`);
    if (record.teamBlocked)
      return fail(`The team of the API key ${redact(secret)} is blocked. Ask an admin to unblock the team.`);
    return {
      ok: true,
      principal: {
        kind: 'key',
        keyId: record.id,
        teamId: record.teamId,
        userId: record.userId,
        organizationId: record.organizationId,
        models: record.allowedModels,
        limits: {
          keyAlias: record.keyAlias,
          scopes: record.scopes,
          modelRpmLimit: record.modelRpmLimit,
          modelTpmLimit: record.modelTpmLimit,
          modelMaxBudget: record.modelMaxBudget,
        },
      },
    };
  }
}

/** True when the principal may call `model`. */
export function mayUseModel(principal: Principal, model: string): boolean {
  return principal.models === null || principal.models.includes(model);
}

const NO_KEY =
  "You didn't provide an API key. Send it in the Authorization header as 'Bearer YOUR_KEY' (a virtual key from the admin API, or the master key).";

/**
 * The key a request presents: `Authorization: Bearer <key>` (OpenAI clients), else `x-api-key` (Anthropic
 * clients) or `api-key` (Azure clients). A header that is there but malformed is named as such, not taken
 * for a missing key.
 */
export function presentedKey(
  headers: IncomingHttpHeaders,
): { ok: true; secret: string } | { ok: false; message: string } {
  const authorization = first(headers.authorization)?.trim();
  if (authorization) {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (m) return { ok: true, secret: m[1]! };
    if (/^Bearer(\s|$)/i.test(authorization)) {
      return {
        ok: false,
        message: /^Bearer\s*$/i.test(authorization)
          ? `${NO_KEY.slice(0, -1)}; the Authorization header says 'Bearer' with no key after it.`
          : "The Authorization header must be 'Bearer YOUR_KEY' with nothing after the key: it has more than one word after 'Bearer'. Send the key alone.",
      };
    }
    return {
      ok: false,
      message:
        "The Authorization header must be 'Bearer YOUR_KEY'; it uses another scheme. Send the key as a Bearer token (or in the x-api-key header).",
    };
  }
  for (const name of ['x-api-key', 'api-key'] as const) {
    const v = first(headers[name])?.trim();
    if (v === undefined) continue;
    if (/^\S+$/.test(v)) return { ok: true, secret: v };
    return {
      ok: false,
      message: `The ${name} header must hold the key alone; ${v === '' ? 'it is empty' : 'it has spaces in it'}.`,
    };
  }
  return { ok: false, message: NO_KEY };
}

/**
 * Why a stored key is refused now, if it is. Keys past their expiry are revoked by spend's sweep (which
 * stamps revoked_at at that moment), so a revocation at or after the expiry is an expiry.
 */
export function keyRefusal(
  record: { revokedAt: Date | null; expiresAt: Date | null },
  now: number,
): 'revoked' | 'expired' | undefined {
  const expired = record.expiresAt !== null && record.expiresAt.getTime() <= now;
  if (record.revokedAt && !(expired && record.revokedAt.getTime() >= record.expiresAt!.getTime())) return 'revoked';
  return expired ? 'expired' : undefined;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** OpenAI shows the last four characters; so do we, and never the rest. */
function redact(secret: string): string {
  return secret.length > 12 ? `${secret.slice(0, 3)}...${secret.slice(-4)}` : '***';
}

function fail(message: string): AuthResult {
  return { ok: false, error: Errors.unauthorized(message) };
}
