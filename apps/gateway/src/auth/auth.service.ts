import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { CONFIG, resolveMasterKey, type SwitchyardConfig } from '@switchyard/config';
import { Errors, type GatewayError } from '@switchyard/contracts';
import { KeyCacheService } from './key-cache.service';

/** Who is calling: the master key (everything allowed) or a virtual key with its limits. */
export interface Principal {
  kind: 'master' | 'key';
  keyId: string | null;
  teamId: string | null;
  /** Models this caller may use; empty means all. */
  models: readonly string[];
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; error: GatewayError };

const MASTER: Principal = { kind: 'master', keyId: null, teamId: null, models: [] };

@Injectable()
export class AuthService {
  private readonly logger = new Logger('Auth');
  private readonly masterDigest: Buffer;

  constructor(
    @Inject(KeyCacheService) private readonly cache: KeyCacheService,
    @Inject(CONFIG) config: SwitchyardConfig,
  ) {
    // The same key main.ts's listen policy judged (SWITCHYARD_MASTER_KEY, the config's, or the demo key on loopback).
    this.masterDigest = sha256(resolveMasterKey(config.masterKeySetting, process.env).value);
  }

  async authenticate(authorization: string | undefined, apiKeyHeader?: string): Promise<AuthResult> {
    const secret = bearer(authorization) ?? apiKeyHeader?.trim();
    if (!secret) {
      return fail(
        "You didn't provide an API key. Send it in the Authorization header as 'Bearer YOUR_KEY' (a virtual key from the admin API, or the master key).",
      );
    }
    const digest = sha256(secret);
    if (timingSafeEqual(digest, this.masterDigest)) return { ok: true, principal: MASTER };
    let record;
    try {
      record = await this.cache.get(digest.toString('hex'));
    } catch (e) {
      this.logger.error(`key lookup failed: ${(e as Error).message}. Check Postgres (DATABASE_URL).`);
      return {
        ok: false,
        error: Errors.unavailable('The gateway cannot check API keys right now. Retry in a moment.'),
      };
    }
    if (!record)
      return fail(`Incorrect API key provided: ${redact(secret)}. Create a key with POST /v1/keys on the admin API.`);
    if (record.revokedAt) return fail(`The API key ${redact(secret)} has been revoked. Ask an admin for a new key.`);
    if (record.expiresAt && record.expiresAt.getTime() <= Date.now())
      return fail(`The API key ${redact(secret)} has expired. Ask an admin for a new key.`);
    return { ok: true, principal: { kind: 'key', keyId: record.id, teamId: record.teamId, models: record.models } };
  }
}

/** True when the principal may call `model`. */
export function mayUseModel(principal: Principal, model: string): boolean {
  return principal.models.length === 0 || principal.models.includes(model);
}

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
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
