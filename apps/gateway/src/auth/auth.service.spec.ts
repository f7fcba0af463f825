import { describe, expect, it } from 'vitest';
import { keyRefusal, mayUseModel, presentedKey, type Principal } from './auth.service';

describe('presentedKey', () => {
  it('takes the key from Authorization: Bearer, then x-api-key, then api-key', () => {
    expect(presentedKey({ authorization: 'Bearer sk-a' })).toEqual({ ok: true, secret: 'sk-a' });
    expect(presentedKey({ authorization: 'bearer   sk-a  ' })).toEqual({ ok: true, secret: 'sk-a' });
    expect(presentedKey({ 'x-api-key': 'sk-b' })).toEqual({ ok: true, secret: 'sk-b' });
    expect(presentedKey({ 'api-key': 'sk-c' })).toEqual({ ok: true, secret: 'sk-c' });
    expect(presentedKey({ authorization: 'Bearer sk-a', 'x-api-key': 'sk-b' })).toEqual({ ok: true, secret: 'sk-a' });
  });

  it('says a key was sent but malformed, rather than that none was sent', () => {
    const junk = presentedKey({ authorization: 'Bearer sk-valid junk' });
    expect(junk.ok).toBe(false);
    expect(!junk.ok && junk.message).toMatch(/nothing after the key/);
    expect(!junk.ok && junk.message).not.toMatch(/didn't provide/);
    expect(!junk.ok && junk.message).not.toContain('sk-valid');
    const basic = presentedKey({ authorization: 'Basic abc' });
    expect(!basic.ok && basic.message).toMatch(/another scheme/);
    const spaced = presentedKey({ 'x-api-key': 'sk-a b' });
    expect(!spaced.ok && spaced.message).toMatch(/x-api-key header must hold the key alone/);
  });

  it('says no key was sent when none was', () => {
    const none = presentedKey({});
    expect(!none.ok && none.message).toMatch(/didn't provide an API key/);
  });
});

describe('keyRefusal', () => {
  const t = (iso: string) => new Date(iso);
  const now = t('2026-01-10T00:00:00Z').getTime();

  it('calls a key revoked by the expiry sweep expired', () => {
    expect(keyRefusal({ expiresAt: t('2026-01-05T00:00:00Z'), revokedAt: t('2026-01-05T00:01:00Z') }, now)).toBe(
      'expired',
    );
    expect(keyRefusal({ expiresAt: t('2026-01-05T00:00:00Z'), revokedAt: null }, now)).toBe('expired');
  });

  it('calls a key revoked before its expiry revoked', () => {
    expect(keyRefusal({ expiresAt: t('2026-01-05T00:00:00Z'), revokedAt: t('2026-01-01T00:00:00Z') }, now)).toBe(
      'revoked',
    );
    expect(keyRefusal({ expiresAt: t('2026-02-01T00:00:00Z'), revokedAt: t('2026-01-01T00:00:00Z') }, now)).toBe(
      'revoked',
    );
    expect(keyRefusal({ expiresAt: null, revokedAt: t('2026-01-01T00:00:00Z') }, now)).toBe('revoked');
  });

  it('accepts a live key', () => {
    expect(keyRefusal({ expiresAt: t('2026-02-01T00:00:00Z'), revokedAt: null }, now)).toBeUndefined();
    expect(keyRefusal({ expiresAt: null, revokedAt: null }, now)).toBeUndefined();
  });
});

describe('mayUseModel', () => {
  const key = (models: string[] | null): Principal => ({
    kind: 'key',
    keyId: 'k',
    teamId: 't',
    userId: null,
    organizationId: null,
    models,
    limits: null,
  });
  it('allows any model when no level restricts, and only the listed ones otherwise', () => {
    expect(mayUseModel(key(null), 'gpt-4o-mini')).toBe(true);
    expect(mayUseModel(key(['gpt-4o']), 'gpt-4o')).toBe(true);
    expect(mayUseModel(key(['gpt-4o']), 'gpt-4o-mini')).toBe(false);
  });
  it('allows nothing when the levels have no model in common', () => {
    expect(mayUseModel(key([]), 'gpt-4o')).toBe(false);
  });
});
