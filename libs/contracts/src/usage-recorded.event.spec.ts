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

  it('bounds each token count to 1e9 integers', () => {
    for (const field of ['promptTokens', 'completionTokens', 'cachedTokens', 'reasoningTokens'] as const) {
      expect(accepts({ [field]: USAGE_EVENT_LIMITS.maxTokens })).toBe(true);
      expect(rejectedAt({ [field]: USAGE_EVENT_LIMITS.maxTokens + 1 })).toEqual([field]);
      expect(rejectedAt({ [field]: 1.5 })).toEqual([field]);
      expect(rejectedAt({ [field]: -1 })).toEqual([field]);
    }
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
    for (const field of [
      'requestId',
      'keyId',
      'teamId',
      'userId',
      'deploymentId',
      'provider',
      'upstreamModel',
      'errorType',
    ]) {
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

  it('keeps the length limits', () => {
    expect(accepts({ requestId: 'r'.repeat(128) })).toBe(true);
    expect(rejectedAt({ requestId: 'r'.repeat(129) })).toEqual(['requestId']);
    expect(rejectedAt({ requestId: '' })).toEqual(['requestId']);
    expect(rejectedAt({ requestedModel: 'm'.repeat(257) })).toEqual(['requestedModel']);
    expect(rejectedAt({ endUser: 'u'.repeat(257) })).toEqual(['endUser']);
    expect(rejectedAt({ tags: ['t'.repeat(129)] })).toEqual(['tags.0']);
    expect(rejectedAt({ tags: Array.from({ length: 33 }, () => 't') })).toEqual(['tags']);
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
