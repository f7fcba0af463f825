import { DiscardPolicy, RetentionPolicy, StorageType, type StreamInfo } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { subjects } from '@switchyard/contracts';
import { reconcileUsageStream, usageBacklog, usageStreamConfig, USAGE_DUPLICATE_WINDOW_MS } from './usage-stream';

const HOUR_NS = 3600 * 1e9;
const s = subjects('unit');
const want = usageStreamConfig(s, { maxBytes: 1024 ** 3, maxAgeHours: 168 });
const NOW = Date.parse('2026-01-10T00:00:00Z');

function existing(
  config: Record<string, unknown>,
  state: { bytes?: number; messages?: number; firstTs?: string } = {},
) {
  return {
    config: { ...want, ...config },
    state: {
      bytes: state.bytes ?? 0,
      messages: state.messages ?? 0,
      first_ts: state.firstTs ?? '0001-01-01T00:00:00Z',
    },
  } as unknown as StreamInfo;
}

describe('usageStreamConfig', () => {
  it('wants work-queue retention, refused publishes at the bound, the operator bounds and the same duplicate window', () => {
    expect(want).toMatchObject({
      name: s.usageStream,
      subjects: [s.usageRecorded],
      storage: StorageType.File,
      retention: RetentionPolicy.Workqueue,
      discard: DiscardPolicy.New,
      max_bytes: 1024 ** 3,
      max_age: 168 * HOUR_NS,
      duplicate_window: USAGE_DUPLICATE_WINDOW_MS * 1e6,
    });
    expect(usageStreamConfig(s, { maxBytes: 1 << 20, maxAgeHours: 0 }).max_age).toBe(0);
  });
});

describe('reconcileUsageStream', () => {
  it('changes nothing on a stream that already has the settings', () => {
    expect(reconcileUsageStream(existing({}), want, NOW)).toEqual({ notes: [] });
  });

  it('leaves a stream of another retention as it is and tells the operator how to switch', () => {
    const legacy = existing({
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_bytes: -1,
      max_age: 30 * 24 * HOUR_NS,
    });
    const plan = reconcileUsageStream(legacy, want, NOW);
    expect(plan.update).toBeUndefined();
    expect(plan.notes).toHaveLength(1);
    expect(plan.notes[0].level).toBe('warn');
    expect(plan.notes[0].message).toMatch(/cannot change in place/);
    expect(plan.notes[0].message).toContain(`nats stream rm ${s.usageStream}`);
    expect(plan.notes[0].message).toContain('30 d');
  });

  it('updates the bounds, discard policy and duplicate window NATS lets it change', () => {
    const plan = reconcileUsageStream(
      existing({
        discard: DiscardPolicy.Old,
        max_bytes: 512 * 1024 ** 2,
        max_age: 24 * HOUR_NS,
        duplicate_window: 60e9,
      }),
      want,
      NOW,
    );
    expect(plan.update).toEqual({
      discard: DiscardPolicy.New,
      max_bytes: 1024 ** 3,
      max_age: 168 * HOUR_NS,
      duplicate_window: USAGE_DUPLICATE_WINDOW_MS * 1e6,
    });
    expect(plan.notes.map((n) => n.level)).toEqual(['log']);
  });

  it('lowers a bound only when what the stream holds fits under it', () => {
    const roomy = existing(
      { max_bytes: 4 * 1024 ** 3, max_age: 30 * 24 * HOUR_NS },
      { bytes: 1000, messages: 3, firstTs: '2026-01-09T00:00:00Z' },
    );
    expect(reconcileUsageStream(roomy, want, NOW).update).toEqual({ max_bytes: 1024 ** 3, max_age: 168 * HOUR_NS });

    const backlog = existing(
      { max_bytes: 4 * 1024 ** 3, max_age: 30 * 24 * HOUR_NS },
      { bytes: 2 * 1024 ** 3, messages: 10, firstTs: '2025-12-25T00:00:00Z' },
    );
    const plan = reconcileUsageStream(backlog, want, NOW);
    expect(plan.update).toBeUndefined();
    expect(plan.notes.map((n) => n.level)).toEqual(['error', 'error']);
    expect(plan.notes[0].message).toMatch(/max_bytes stays 4294967296/);
    expect(plan.notes[1].message).toMatch(/16 d old.*max_age stays 30 d/);
  });

  it('treats an unlimited bound as the largest', () => {
    const unlimited = existing(
      { max_bytes: -1, max_age: 0 },
      { bytes: 10, messages: 1, firstTs: '2026-01-09T23:00:00Z' },
    );
    expect(reconcileUsageStream(unlimited, want, NOW).update).toEqual({ max_bytes: 1024 ** 3, max_age: 168 * HOUR_NS });
    const toUnlimited = reconcileUsageStream(
      existing({}),
      usageStreamConfig(s, { maxBytes: 1024 ** 3, maxAgeHours: 0 }),
      NOW,
    );
    expect(toUnlimited.update).toEqual({ max_age: 0 });
  });
});

describe('usageBacklog', () => {
  it('is quiet while unprocessed events use under half of both bounds', () => {
    const b = usageBacklog(existing({}, { bytes: 1000, messages: 2, firstTs: '2026-01-09T00:00:00Z' }), NOW);
    expect(b).toMatchObject({ messages: 2, bytes: 1000, oldestAgeMs: 24 * 3_600_000 });
    expect(b?.alert).toBeUndefined();
  });

  it('warns, then errs, as the oldest event nears the max age that would delete it', () => {
    const warn = usageBacklog(existing({}, { bytes: 1, messages: 1, firstTs: '2026-01-05T00:00:00Z' }), NOW);
    expect(warn?.alert).toMatchObject({
      level: 'warn',
      message: expect.stringMatching(/5 d old.*deletes events older than 7 d/),
    });
    const error = usageBacklog(existing({}, { bytes: 1, messages: 1, firstTs: '2026-01-04T00:00:00Z' }), NOW);
    expect(error?.alert?.level).toBe('error');
  });

  it('errs as the backlog nears max_bytes, and says nothing for a stream of another retention', () => {
    const full = usageBacklog(
      existing({}, { bytes: 0.9 * 1024 ** 3, messages: 9, firstTs: '2026-01-09T23:00:00Z' }),
      NOW,
    );
    expect(full?.alert).toMatchObject({ level: 'error', message: expect.stringMatching(/90 % of max_bytes/) });
    expect(
      usageBacklog(existing({ retention: RetentionPolicy.Limits }, { bytes: 2 * 1024 ** 3, messages: 9 }), NOW),
    ).toBeUndefined();
  });
});
