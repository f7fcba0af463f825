import { Inject, Injectable } from '@nestjs/common';
import { TRANSLATOR_OPTIONS, type TranslatorOptions } from '../translator.options';
import type { Attempt } from './attempt';

/**
 * A cancel can overtake its request (the client left while the router was still choosing a deployment);
 * its id is remembered this long, so an attempt that arrives afterwards is not started at all.
 */
const EARLY_CANCEL_TTL_MS = 60_000;
const EARLY_CANCEL_MAX = 10_000;

/**
 * The attempts running in this translator, by request id and attempt number, so a cancel reaches every
 * attempt of its request and two attempts of one request never share state. Bounds how many run at once.
 */
@Injectable()
export class AttemptRegistry {
  /** requestId → attempt number → attempt. */
  private readonly byRequest = new Map<string, Map<number, Attempt>>();
  private count = 0;
  /** Request ids cancelled before an attempt arrived → when to forget them (insertion order = age). */
  private readonly earlyCancels = new Map<string, number>();

  constructor(@Inject(TRANSLATOR_OPTIONS) private readonly options: TranslatorOptions) {}

  /** Attempts in flight. */
  get size(): number {
    return this.count;
  }

  get limit(): number {
    return this.options.maxInflight;
  }

  /** Whether one more attempt may start now. */
  hasRoom(): boolean {
    return this.count < this.options.maxInflight;
  }

  add(a: Attempt): void {
    let attempts = this.byRequest.get(a.requestId);
    if (attempts === undefined) {
      attempts = new Map();
      this.byRequest.set(a.requestId, attempts);
    }
    if (!attempts.has(a.attempt)) this.count++;
    attempts.set(a.attempt, a);
  }

  remove(a: Attempt): void {
    const attempts = this.byRequest.get(a.requestId);
    if (attempts?.get(a.attempt) !== a) return;
    attempts.delete(a.attempt);
    this.count--;
    if (attempts.size === 0) this.byRequest.delete(a.requestId);
  }

  /**
   * The attempts of `requestId` to cancel (all of them, or only `attempt` when given). When none runs
   * here, the cancel is remembered in case its attempt is still on its way.
   */
  takeForCancel(requestId: string, attempt?: number): Attempt[] {
    const attempts = this.byRequest.get(requestId);
    if (attempts === undefined) {
      this.rememberEarlyCancel(requestId);
      return [];
    }
    if (attempt === undefined) return [...attempts.values()];
    const one = attempts.get(attempt);
    return one ? [one] : [];
  }

  /** True (and forgotten) when `requestId` was cancelled before this attempt arrived. */
  takeEarlyCancel(requestId: string): boolean {
    const expires = this.earlyCancels.get(requestId);
    if (expires === undefined) return false;
    this.earlyCancels.delete(requestId);
    return expires > Date.now();
  }

  private rememberEarlyCancel(requestId: string): void {
    const now = Date.now();
    for (const [id, expires] of this.earlyCancels) {
      if (expires > now && this.earlyCancels.size < EARLY_CANCEL_MAX) break;
      this.earlyCancels.delete(id);
    }
    this.earlyCancels.set(requestId, now + EARLY_CANCEL_TTL_MS);
  }
}
