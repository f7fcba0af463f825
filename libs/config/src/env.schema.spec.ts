import { describe, expect, it } from 'vitest';
import { loadEnv, usageLedgerRetentionHours } from './env.schema';

describe('usage retention settings', () => {
  it('bounds the usage stream and derives the ledger retention from its max age by default', () => {
    const env = loadEnv({});
    expect(env.SWITCHYARD_USAGE_STREAM_MAX_BYTES).toBe(1024 ** 3);
    expect(env.SWITCHYARD_USAGE_STREAM_MAX_AGE_HOURS).toBe(168);
    expect(usageLedgerRetentionHours(env)).toBe(192);
    expect(usageLedgerRetentionHours(loadEnv({ SWITCHYARD_USAGE_STREAM_MAX_AGE_HOURS: '24' }))).toBe(48);
  });

  it('keeps the ledger for good when the stream has no max age, unless told otherwise', () => {
    expect(usageLedgerRetentionHours(loadEnv({ SWITCHYARD_USAGE_STREAM_MAX_AGE_HOURS: '0' }))).toBeUndefined();
    const explicit = { SWITCHYARD_USAGE_STREAM_MAX_AGE_HOURS: '0', SWITCHYARD_USAGE_LEDGER_RETENTION_HOURS: '720' };
    expect(usageLedgerRetentionHours(loadEnv(explicit))).toBe(720);
  });

  it('refuses a ledger retention that does not outlive the stream max age', () => {
    expect(() =>
      loadEnv({ SWITCHYARD_USAGE_STREAM_MAX_AGE_HOURS: '48', SWITCHYARD_USAGE_LEDGER_RETENTION_HOURS: '48' }),
    ).toThrow(
      /SWITCHYARD_USAGE_LEDGER_RETENTION_HOURS: must be more than SWITCHYARD_USAGE_STREAM_MAX_AGE_HOURS \(48\)/,
    );
    expect(() => loadEnv({ SWITCHYARD_USAGE_STREAM_MAX_BYTES: '1000' })).toThrow(/SWITCHYARD_USAGE_STREAM_MAX_BYTES/);
  });
});
