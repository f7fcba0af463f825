import { describe, expect, it } from 'vitest';
import { PULL_FAILURES_BEFORE_ALARM, pullFailureIsAlarm } from './stream-batch.consumer';

describe('pullFailureIsAlarm', () => {
  it('warns about a pull cut short by late heartbeats, and alarms only when it keeps happening', () => {
    const late = new Error('heartbeats missed');
    expect(pullFailureIsAlarm(1, late)).toBe(false);
    expect(pullFailureIsAlarm(PULL_FAILURES_BEFORE_ALARM - 1, late)).toBe(false);
    expect(pullFailureIsAlarm(PULL_FAILURES_BEFORE_ALARM, late)).toBe(true);
  });

  it('alarms at once for anything else (a consumer gone, a connection closed)', () => {
    expect(pullFailureIsAlarm(1, new Error('consumer not found'))).toBe(true);
    expect(pullFailureIsAlarm(1, new Error('connection closed'))).toBe(true);
  });
});
