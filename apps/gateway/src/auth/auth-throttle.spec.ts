import { describe, expect, it } from 'vitest';
import { AuthThrottle } from './auth-throttle';

describe('AuthThrottle', () => {
  it('refuses an address past its failures until the window ends, and only that address', () => {
    const t = new AuthThrottle(3, 10_000);
    for (let i = 0; i < 3; i++) {
      expect(t.retryInMs('1.2.3.4', 1000)).toBe(0);
      t.fail('1.2.3.4', 1000);
    }
    expect(t.retryInMs('1.2.3.4', 4000)).toBe(7000);
    expect(t.retryInMs('5.6.7.8', 4000)).toBe(0);
    expect(t.retryInMs('1.2.3.4', 11_000)).toBe(0);
  });

  it('tracks a bounded number of addresses', () => {
    const t = new AuthThrottle(1, 10_000, 2);
    t.fail('a', 0);
    t.fail('b', 0);
    t.fail('c', 0);
    expect(t.retryInMs('a', 1)).toBe(0);
    expect(t.retryInMs('c', 1)).toBeGreaterThan(0);
  });

  it('does nothing with a limit of 0', () => {
    const t = new AuthThrottle(0, 10_000);
    t.fail('a', 0);
    expect(t.retryInMs('a', 1)).toBe(0);
  });
});
