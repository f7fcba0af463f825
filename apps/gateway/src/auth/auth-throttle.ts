/**
 * Failed authentications per client address, in fixed windows, in this process: past `limit` failures in a
 * window, the address's requests are refused (429) before any key lookup until the window ends, so guessing keys
 * costs the guesser time and Postgres nothing. Bounded: at most `maxAddresses` are tracked, the oldest dropped.
 */
export class AuthThrottle {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxAddresses = 10_000,
  ) {}

  /** Ms until `address` may try again, or 0 when it may now. */
  retryInMs(address: string, now = Date.now()): number {
    if (this.limit <= 0) return 0;
    const w = this.windows.get(address);
    if (!w) return 0;
    if (now - w.start >= this.windowMs) {
      this.windows.delete(address);
      return 0;
    }
    return w.failures >= this.limit ? w.start + this.windowMs - now : 0;
  }

  /** Counts a failed authentication from `address`. */
  fail(address: string, now = Date.now()): void {
    if (this.limit <= 0) return;
    const w = this.windows.get(address);
    if (w && now - w.start < this.windowMs) {
      w.failures++;
      return;
    }
    this.windows.delete(address);
    while (this.windows.size >= this.maxAddresses) {
      const oldest = this.windows.keys().next();
      if (oldest.done) break;
      this.windows.delete(oldest.value);
    }
    this.windows.set(address, { start: now, failures: 1 });
  }
}
