import { createHash, createHmac, randomBytes } from 'node:crypto';

export const KEY_SECRET_PREFIX = 'sk-sy-';
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const SECRET_LENGTH = 40;

/** A new virtual key: `sk-sy-` + 40 random base62 characters (about 238 bits). */
export function generateKeySecret(): string {
  let out = '';
  while (out.length < SECRET_LENGTH) {
    for (const byte of randomBytes(64)) {
      // 248 = 4 * 62: rejecting the top bytes keeps every character equally likely.
      if (byte >= 248) continue;
      out += BASE62[byte % 62];
      if (out.length === SECRET_LENGTH) break;
    }
  }
  return KEY_SECRET_PREFIX + out;
}

/**
 * The legacy stored form: plain sha256 of the secret, lowercase hex. Rows written before keys were stored as HMACs
 * hold it until the key is next used (KeyHasher.legacy, KeysRepository.findByHash upgrade them).
 */
export function hashKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * What is stored and looked up: HMAC-SHA256 of the secret under a server secret (SWITCHYARD_KEY_HASH_SECRET), so a
 * stolen api_keys table cannot be checked against guesses offline without that secret too.
 */
export class KeyHasher {
  constructor(private readonly serverSecret: string) {
    if (serverSecret.length < 16) throw new Error('The key hash secret must be at least 16 characters.');
  }

  hash(secret: string): string {
    return createHmac('sha256', this.serverSecret).update(secret, 'utf8').digest('hex');
  }

  /** The form rows written before HMAC hold (see hashKey). */
  legacy(secret: string): string {
    return hashKey(secret);
  }
}

/**
 * The server secret keys are hashed with: SWITCHYARD_KEY_HASH_SECRET when set, else one derived from the master key
 * (so a deployment that sets only the master key works unchanged; rotating that master key then invalidates every
 * virtual key, which is why production should set SWITCHYARD_KEY_HASH_SECRET).
 */
export function keyHashSecret(explicit: string | undefined, masterKey: string): string {
  if (explicit) return explicit;
  return createHmac('sha256', masterKey).update('switchyard virtual key hash v1').digest('hex');
}

/** Display form of a secret (first 8 + last 4 characters), enough to recognise it, not to use it. */
export function keyPrefix(secret: string): string {
  return `${secret.slice(0, 8)}...${secret.slice(-4)}`;
}
