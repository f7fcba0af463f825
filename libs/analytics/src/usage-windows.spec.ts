import { describe, expect, it } from 'vitest';
import { usageWindowStarts } from './usage.queries';

describe('usageWindowStarts', () => {
  it('starts the day at UTC midnight, the week on Monday and the month on the 1st', () => {
    // Wednesday 2026-11-25, late in the UTC day.
    const w = usageWindowStarts(new Date('2026-11-25T23:59:59.999Z'));
    expect(w.day.toISOString()).toBe('2026-11-25T00:00:00.000Z');
    expect(w.week.toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(w.month.toISOString()).toBe('2026-11-01T00:00:00.000Z');
  });

  it('counts a Sunday in the week that began the Monday before, and a Monday as a new week', () => {
    expect(usageWindowStarts(new Date('2026-11-29T12:00:00Z')).week.toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(usageWindowStarts(new Date('2026-11-30T00:00:00Z')).week.toISOString()).toBe('2026-11-30T00:00:00.000Z');
  });

  it('lets a week begin in the previous month', () => {
    const w = usageWindowStarts(new Date('2026-12-02T08:00:00Z'));
    expect(w.week.toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(w.month.toISOString()).toBe('2026-12-01T00:00:00.000Z');
  });
});
