import { createHash, randomBytes } from 'node:crypto';

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

/** What is stored and looked up: sha256 of the secret, lowercase hex. */
export function hashKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Display form of a secret (first 8 + last 4 characters), enough to recognise it, not to use it. */
export function keyPrefix(secret: string): string {
  return `${secret.slice(0, 8)}...${secret.slice(-4)}`;
}
