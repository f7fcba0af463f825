import { describe, expect, it } from 'vitest';
import { runHealthChecks } from './health-report';

describe('runHealthChecks', () => {
  it('reports each check up or down with its reason, and never throws', async () => {
    const checks = await runHealthChecks({
      fine: async () => 'three keys',
      silent: async () => undefined,
      rejects: async () => {
        throw new Error('connection refused');
      },
      throwsAtOnce: () => {
        throw new Error('sync failure');
      },
    });
    expect(checks.fine).toMatchObject({ status: 'up', detail: 'three keys' });
    expect(checks.silent).toMatchObject({ status: 'up' });
    expect(checks.silent.detail).toBeUndefined();
    expect(checks.rejects).toMatchObject({ status: 'down', detail: 'connection refused' });
    expect(checks.throwsAtOnce).toMatchObject({ status: 'down', detail: 'sync failure' });
  });

  it('bounds a check that never answers', async () => {
    const started = Date.now();
    const checks = await runHealthChecks(
      { hangs: () => new Promise(() => undefined), quick: async () => undefined },
      50,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(checks.hangs).toMatchObject({ status: 'down', detail: 'no answer within 50 ms' });
    expect(checks.quick.status).toBe('up');
  });
});
