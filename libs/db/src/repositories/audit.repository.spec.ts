import { describe, expect, it } from 'vitest';
import { withoutSecrets } from './audit.repository';

describe('withoutSecrets', () => {
  it('drops key secrets, hashes and credential-like fields at any depth, and keeps the rest', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    expect(
      withoutSecrets({
        key: 'sk-sy-abc',
        key_hash: 'f00',
        keyHash: 'f00',
        key_prefix: 'sk-sy-ab...wxyz',
        key_alias: 'ci',
        nested: [{ api_key: 'sk-x', client_secret: 's', password: 'p', aws_credentials: {}, model: 'gpt-4o' }],
        at,
      }),
    ).toEqual({ key_prefix: 'sk-sy-ab...wxyz', key_alias: 'ci', nested: [{ model: 'gpt-4o' }], at });
  });
});
