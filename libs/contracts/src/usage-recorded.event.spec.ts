import { describe, expect, it } from 'vitest';
import { decodeSummary, encodeSummary } from './request-summary';
import { USAGE_EVENT_LIMITS, UsageRecordedEventSchema, type UsageRecordedEventInput } from './usage-recorded.event';

const valid: UsageRecordedEventInput = {
  requestId: 'req_0123456789abcdef0123456789abcdef',
  ts: Date.UTC(2025, 5, 1),
  keyId: '5b0f7c1e-2f4a-4c1e-9a57-1b2c3d4e5f60',
  teamId: null,
  requestedModel: 'gpt-4o',
  deploymentId: 'dep-1',
  provider: 'openai',
  upstreamModel: 'gpt-4o-2024-08-06',
  status: 200,
  promptTokens: 10,
  completionTokens: 5,
  latencyMs: 600_000,
  ttftMs: 250.5,
  stream: true,
};

const accepts = (over: Partial<UsageRecordedEventInput>) =>
  UsageRecordedEventSchema.safeParse({ ...valid, ...over }).success;
const rejectedAt = (over: Record<string, unknown>): string[] => {
  const r = UsageRecordedEventSchema.safeParse({ ...valid, ...over });
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
};

describe('UsageRecordedEventSchema bounds', () => {
  it('accepts an event as the gateway builds it, a 10-minute stream included', () => {
    const e = UsageRecordedEventSchema.parse(valid);
    expect(e).toMatchObject({ latencyMs: 600_000, cachedTokens: 0, tags: [], endUser: null, fallbackDepth: 0 });
  });

  it('brings each token count into [0, 1e9] as an integer and flags it, instead of dropping the event', () => {
    for (const field of ['promptTokens', 'completionTokens', 'cachedTokens', 'reasoningTokens'] as const) {
      const inRange = UsageRecordedEventSchema.parse({ ...valid, [field]: USAGE_EVENT_LIMITS.maxTokens });
      expect(inRange).toMatchObject({ [field]: 1e9, usageClamped: false });
      for (const [raw, stored] of [
        [1e300, 1e9],
        [USAGE_EVENT_LIMITS.maxTokens + 1, 1e9],
        [1.5, 1],
        [-1, 0],
      ] as const) {
        expect(UsageRecordedEventSchema.parse({ ...valid, [field]: raw })).toMatchObject({
          [field]: stored,
          usageClamped: true,
        });
      }
    }
    const e = UsageRecordedEventSchema.parse({
      ...valid,
      attempts: [{ attempt: 1, deploymentId: 'd', status: 200, usage: { promptTokens: 1e300, completionTokens: 3 } }],
    });
    expect(e.attempts[0]!.usage).toMatchObject({ promptTokens: 1e9, completionTokens: 3 });
    expect(e.usageClamped).toBe(true);
    expect(USAGE_EVENT_LIMITS.maxTokens).toBe(1e9);
  });

  it('bounds ts to [2020-01-01, 2100-01-01] in epoch ms', () => {
    expect(USAGE_EVENT_LIMITS.minTs).toBe(1_577_836_800_000);
    expect(USAGE_EVENT_LIMITS.maxTs).toBe(4_102_444_800_000);
    expect(accepts({ ts: 1_577_836_800_000 })).toBe(true);
    expect(accepts({ ts: 4_102_444_800_000 })).toBe(true);
    expect(rejectedAt({ ts: 1_577_836_799_999 })).toEqual(['ts']);
    expect(rejectedAt({ ts: 4_102_444_800_001 })).toEqual(['ts']);
    // Seconds instead of milliseconds is a 1970 date.
    expect(rejectedAt({ ts: 1_700_000_000 })).toEqual(['ts']);
  });

  it('bounds latency and time to first token to two days in ms (a one-day timeout plus grace still fits)', () => {
    expect(USAGE_EVENT_LIMITS.maxDurationMs).toBe(172_800_000);
    expect(accepts({ latencyMs: 86_400_000 + 2_000 + 60_000, ttftMs: 86_400_000 })).toBe(true);
    expect(accepts({ latencyMs: 172_800_000, ttftMs: 172_800_000 })).toBe(true);
    expect(rejectedAt({ latencyMs: 172_800_001 })).toEqual(['latencyMs']);
    expect(rejectedAt({ ttftMs: 172_800_001 })).toEqual(['ttftMs']);
    expect(rejectedAt({ latencyMs: 1e12 })).toEqual(['latencyMs']);
    expect(accepts({ ttftMs: null })).toBe(true);
  });

  it('bounds status and fallback depth to what their columns hold', () => {
    expect(accepts({ status: 499 })).toBe(true);
    expect(rejectedAt({ status: 70_000 })).toEqual(['status']);
    expect(accepts({ fallbackDepth: 255 })).toBe(true);
    expect(rejectedAt({ fallbackDepth: 256 })).toEqual(['fallbackDepth']);
  });

  it('rejects U+0000 in ids and names the gateway or config produce', () => {
    for (const field of ['requestId', 'keyId', 'teamId', 'userId', 'deploymentId', 'provider', 'upstreamModel']) {
      expect(rejectedAt({ [field]: 'a\u0000b' })).toEqual([field]);
    }
  });

  it('replaces U+0000 in client-chosen text instead of rejecting the event (it must stay billable)', () => {
    const e = UsageRecordedEventSchema.parse({
      ...valid,
      requestedModel: 'gpt-4o\u0000',
      endUser: '\u0000u',
      tags: ['a\u0000', 'b'],
    });
    expect(e.requestedModel).toBe('gpt-4o\uFFFD');
    expect(e.endUser).toBe('\uFFFDu');
    expect(e.tags).toEqual(['a\uFFFD', 'b']);
  });

  it('replaces lone UTF-16 surrogates in client- and provider-chosen text (ClickHouse refuses them)', () => {
    const e = UsageRecordedEventSchema.parse({
      ...valid,
      requestedModel: 'gpt\ud800',
      endUser: '\udc00u',
      tags: ['\ud83d', 'ok 😀'],
      errorType: 'x\u0000\ud800',
    });
    expect(e).toMatchObject({ requestedModel: 'gpt\uFFFD', endUser: '\uFFFDu', errorType: 'x\uFFFD\uFFFD' });
    expect(e.tags).toEqual(['\uFFFD', 'ok 😀']);
  });

  it('keeps the length limits', () => {
    expect(accepts({ requestId: 'r'.repeat(128) })).toBe(true);
    expect(rejectedAt({ requestId: 'r'.repeat(129) })).toEqual(['requestId']);
    expect(rejectedAt({ requestId: '' })).toEqual(['requestId']);
  });

  it('cuts client text to its bound instead of rejecting the event', () => {
    const e = UsageRecordedEventSchema.parse({
      ...valid,
      requestedModel: 'm'.repeat(257),
      endUser: 'u'.repeat(255) + '😀',
      tags: Array.from({ length: 40 }, () => 't'.repeat(200)),
    });
    expect(e.requestedModel).toBe('m'.repeat(256));
    // The cut would split the emoji's surrogate pair: the half is dropped, not left lone.
    expect(e.endUser).toBe('u'.repeat(255));
    expect(e.tags).toHaveLength(32);
    expect(e.tags[0]).toBe('t'.repeat(128));
  });
});

describe('request summary header', () => {
  it('round-trips, and stays 7-bit whatever the client wrote', () => {
    const summary = {
      model: 'gpt-4o',
      stream: true,
      includeUsage: false,
      user: 'zoë 😀\n"quoted"',
      tags: ['ünï'],
      promptChars: 12,
      strip: ['models'],
      models: ['a', 'b'],
    };
    const header = encodeSummary(summary);
    expect(/^[\x20-\x7e]*$/.test(header)).toBe(true);
    expect(decodeSummary(header)).toEqual(summary);
    expect(decodeSummary('')).toBeUndefined();
    expect(decodeSummary('{"model":1}')).toBeUndefined();
    expect(decodeSummary('not json')).toBeUndefined();
  });
});
