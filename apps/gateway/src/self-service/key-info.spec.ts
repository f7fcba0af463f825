import { describe, expect, it } from 'vitest';
import type { KeyRecord } from '@switchyard/db';
import { toLitellmInfo, toOpenRouterKey, type KeyStanding } from './key-info.service';

function key(over: Partial<KeyRecord['limits']> = {}, alias: string | null = 'svc'): KeyRecord {
  const now = new Date('2026-11-24T12:00:00Z');
  return {
    id: 'k1',
    keyHash: 'hmac-of-the-secret',
    keyPrefix: 'sk-sy-ab',
    keyAlias: alias,
    teamId: null,
    userId: null,
    blocked: false,
    models: [],
    maxBudgetNanos: over.maxBudgetNanos ?? null,
    spendNanos: 0n,
    limits: {
      level: 'key',
      id: 'k1',
      maxBudgetNanos: null,
      softBudgetNanos: null,
      spendNanos: 0n,
      budgetDuration: null,
      budgetResetAt: null,
      rpmLimit: null,
      tpmLimit: null,
      maxParallelRequests: null,
      ...over,
    },
    modelRpmLimit: {},
    modelTpmLimit: {},
    modelMaxBudget: [],
    metadata: {},
    expiresAt: null,
    revokedAt: null,
    createdAt: now,
    updatedAt: now,
  };
}

const usage = { totalNanos: 0n, dailyNanos: 1n, weeklyNanos: 2n, monthlyNanos: 3n };
const standing = (
  k: KeyRecord | null,
  spentNanos: bigint,
  reservedNanos = 0n,
  above: KeyStanding['budgets'] = [],
): KeyStanding => ({
  key: k,
  spentNanos,
  reservedNanos,
  usage,
  budgets: [
    ...(k && k.limits.maxBudgetNanos !== null
      ? [{ scope: { ...k.limits, spendNanos: spentNanos }, reservedNanos }]
      : []),
    ...above,
  ],
});

const level = (l: 'user' | 'team' | 'organization', id: string, max: bigint, spent: bigint) => ({
  scope: { ...key().limits, level: l, id, maxBudgetNanos: max, spendNanos: spent },
  reservedNanos: 0n,
});

describe('self-service key answers', () => {
  it('takes what requests in flight hold from what remains, and never goes below zero', () => {
    const k = key({ maxBudgetNanos: 1_000_000_000n });
    expect(toOpenRouterKey(standing(k, 250_000_000n, 50_000_000n))).toMatchObject({
      limit: 1,
      usage: 0.25,
      limit_remaining: 0.7,
      limit_remaining_nanos: '700000000',
      reserved_nanos: '50000000',
    });
    // Spend past the budget (one request's estimate error) still answers 0, not a negative balance.
    expect(toOpenRouterKey(standing(k, 990_000_000n, 20_000_000n))).toMatchObject({
      limit_remaining: 0,
      limit_remaining_nanos: '0',
    });
  });

  it('answers the smallest remainder of every budget that applies: key, user, team, organisation', () => {
    const k = key({ maxBudgetNanos: 1_000_000_000n });
    // The key leaves $0.70; its team only $0.20 (and its organisation $0.50): the team binds.
    const s = standing(k, 250_000_000n, 50_000_000n, [
      level('team', 't1', 2_000_000_000n, 1_800_000_000n),
      level('organization', 'o1', 5_000_000_000n, 4_500_000_000n),
    ]);
    expect(toOpenRouterKey(s)).toMatchObject({
      limit: 1,
      limit_remaining: 0.2,
      limit_remaining_nanos: '200000000',
      limit_remaining_of: 'team t1',
    });
    expect(toLitellmInfo(s)).toMatchObject({ remaining_budget: 0.2, remaining_budget_of: 'team t1' });
    // A key with no budget of its own still has what its user's leaves.
    const u = toOpenRouterKey(standing(key(), 0n, 0n, [level('user', 'u1', 3_000_000_000n, 1_000_000_000n)]));
    expect(u).toMatchObject({ limit: null, limit_remaining: 2, limit_remaining_of: 'user u1' });
  });

  it('names budget periods as OpenRouter does, and any other duration as it is', () => {
    const at = new Date('2026-11-25T00:00:00Z');
    const reset = (d: string) =>
      toOpenRouterKey(standing(key({ maxBudgetNanos: 1n, budgetDuration: d, budgetResetAt: at }), 0n)).limit_reset;
    expect([reset('1d'), reset('7d'), reset('1mo'), reset('30s')]).toEqual(['daily', 'weekly', 'monthly', '30s']);
    expect(
      toOpenRouterKey(standing(key({ maxBudgetNanos: 1n, budgetDuration: '1d', budgetResetAt: at }), 0n))
        .limit_reset_at,
    ).toBe(at.toISOString());
  });

  it('reports rpm_limit as the deprecated rate_limit, -1 without one', () => {
    expect(toOpenRouterKey(standing(key({ rpmLimit: 60 }), 0n)).rate_limit).toMatchObject({
      requests: 60,
      interval: '1m',
    });
    expect(toOpenRouterKey(standing(key(), 0n)).rate_limit.requests).toBe(-1);
  });

  it('describes the master key as unlimited, with its recorded usage', () => {
    const master = toOpenRouterKey(standing(null, 5_000_000n));
    expect(master).toMatchObject({ label: 'master key', limit: null, limit_remaining: null, usage: 0.005 });
    expect(master.usage_monthly).toBe(3e-9);
  });

  it('never shows the hash or more of the secret than its display prefix', () => {
    const k = key({ maxBudgetNanos: 1n }, null);
    const text = JSON.stringify([toOpenRouterKey(standing(k, 0n)), toLitellmInfo(standing(k, 0n))]);
    expect(text).not.toContain('hmac-of-the-secret');
    expect(toOpenRouterKey(standing(k, 0n)).label).toBe('sk-sy-ab…');
  });
});
