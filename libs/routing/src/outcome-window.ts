/** Successful and failed attempts of one deployment over the recent window. */
export interface OutcomeCounts {
  ok: number;
  failed: number;
}

/** The window's length and its step: six buckets of ten seconds, so "the last minute" moves every ten seconds. */
export const OUTCOME_WINDOW_MS = 60_000;
const BUCKET_MS = 10_000;
const BUCKETS = OUTCOME_WINDOW_MS / BUCKET_MS;

/**
 * Attempts per deployment over about the last minute, in ten-second buckets (what GET /v1/deployments reports as a
 * deployment's recent error rate). Pure over the times it is given; memory is six pairs of numbers per deployment.
 */
export class OutcomeWindow {
  private readonly byId = new Map<string, { buckets: number[]; ok: number[]; failed: number[] }>();

  record(deploymentId: string, ok: boolean, now: number): void {
    const bucket = Math.floor(now / BUCKET_MS);
    let w = this.byId.get(deploymentId);
    if (w === undefined) {
      w = {
        buckets: new Array<number>(BUCKETS).fill(-1),
        ok: new Array<number>(BUCKETS).fill(0),
        failed: new Array<number>(BUCKETS).fill(0),
      };
      this.byId.set(deploymentId, w);
    }
    const i = bucket % BUCKETS;
    if (w.buckets[i] !== bucket) {
      w.buckets[i] = bucket;
      w.ok[i] = 0;
      w.failed[i] = 0;
    }
    if (ok) w.ok[i]!++;
    else w.failed[i]!++;
  }

  /** Each deployment's counts within the window ending at `now`; deployments with none are left out (and forgotten). */
  totals(now: number): [string, OutcomeCounts][] {
    const oldest = Math.floor(now / BUCKET_MS) - BUCKETS + 1;
    const out: [string, OutcomeCounts][] = [];
    for (const [id, w] of this.byId) {
      const c = { ok: 0, failed: 0 };
      for (let i = 0; i < BUCKETS; i++) {
        if (w.buckets[i]! < oldest) continue;
        c.ok += w.ok[i]!;
        c.failed += w.failed[i]!;
      }
      if (c.ok + c.failed === 0) this.byId.delete(id);
      else out.push([id, c]);
    }
    return out;
  }
}
