import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { BudgetsRepository, nextBudgetReset, type BudgetLevel, type BudgetPeriod } from '@switchyard/db';
import { JobHandler, JobRunner, type JobPayload } from '@switchyard/jobs';
import { UsageSettlementService } from '../usage/usage-settlement.service';

/** The time the reset jobs go by (epoch ms); injectable so tests can move it without waiting a day. */
export const BUDGET_CLOCK = Symbol('BUDGET_CLOCK');

/** How far ahead a sweep schedules resets: more than the sweep interval, so no period end falls between sweeps. */
const SWEEP_AHEAD_MS = 2 * 60_000;
/** Periods scheduled per level per sweep; the rest go at the next sweep. */
const SWEEP_LIMIT = 5_000;

/** One period of one level has one job id: every instance that schedules it adds the same job, and BullMQ keeps one. */
export function budgetResetJobId(level: BudgetLevel, id: string, resetAtMs: number): string {
  // BullMQ job ids cannot hold ':'; encodeURIComponent escapes it (end-user and user ids are free text).
  return `budget-reset.${level}.${encodeURIComponent(id)}.${resetAtMs}`;
}

export type BudgetResetResult =
  { reset: true; nextResetAt: string } | { reset: false; reason: 'no-budget-duration' | 'already-reset' };

/**
 * Budget periods (budget_duration): each period's end is a delayed BullMQ job keyed by level, id and period, so
 * however many spend instances schedule it, it runs once, at budget_reset_at. The job zeroes the period's spend in
 * Postgres (one conditional UPDATE: a second run changes nothing) and the Redis budget counter the gateways admit
 * against, then schedules the next period's end. A sweep every minute schedules what is due soon and runs what was
 * missed (a flushed Redis, rows written by the admin API, which does not enqueue).
 */
@Injectable()
export class BudgetResetJobs {
  private readonly logger = new Logger('BudgetReset');
  private readonly now: () => number;

  constructor(
    @Inject(BudgetsRepository) private readonly budgets: BudgetsRepository,
    @Inject(UsageSettlementService) private readonly settlement: UsageSettlementService,
    @Inject(JobRunner) private readonly jobs: JobRunner,
    @Optional() @Inject(BUDGET_CLOCK) clock?: () => number,
  ) {
    this.now = clock ?? Date.now;
  }

  @JobHandler('budgets.reset-sweep')
  async sweep(): Promise<{ scheduled: number }> {
    const now = this.now();
    const due = await this.budgets.periodsEndingBy(new Date(now + SWEEP_AHEAD_MS), SWEEP_LIMIT);
    for (const p of due) await this.schedule(p, now);
    return { scheduled: due.length };
  }

  @JobHandler('budgets.reset')
  async reset(payload: JobPayload<'budgets.reset'>): Promise<BudgetResetResult> {
    const now = this.now();
    if (now < payload.resetAtMs) {
      // Run early (a clock behind Redis's): fail so BullMQ retries after a backoff, by when the period has ended.
      throw new Error(`budget period ends at ${new Date(payload.resetAtMs).toISOString()}, not yet`);
    }
    const current = await this.budgets.currentPeriod(payload.level, payload.id);
    if (current === null) return { reset: false, reason: 'no-budget-duration' };
    const currentMs = current.resetAt.getTime();
    if (currentMs !== payload.resetAtMs) {
      // Postgres has moved on (an earlier attempt whose Redis step failed, or a duration changed meanwhile): make
      // the Redis counter follow Postgres, which is the record.
      if (currentMs > payload.resetAtMs)
        await this.settlement.resetBudget(current.level, current.id, current.spendNanos, currentMs);
      return { reset: false, reason: 'already-reset' };
    }
    const next = this.periodAfter(current, now);
    if (!(await this.budgets.endPeriod(current, next))) return { reset: false, reason: 'already-reset' };
    await this.settlement.resetBudget(current.level, current.id, 0n, next.getTime());
    await this.schedule({ ...current, resetAt: next }, now);
    this.logger.log(`budget of ${current.level} ${current.id} reset; next reset ${next.toISOString()}`);
    return { reset: true, nextResetAt: next.toISOString() };
  }

  /** The end of the first period after `p` that has not ended yet (a job run late skips the periods missed). */
  private periodAfter(p: BudgetPeriod, now: number): Date {
    let next = nextBudgetReset(p.duration, p.resetAt);
    for (let i = 0; i < 1_000 && next.getTime() <= now; i++) next = nextBudgetReset(p.duration, next);
    return next.getTime() <= now ? nextBudgetReset(p.duration, new Date(now)) : next;
  }

  private async schedule(p: BudgetPeriod, now: number): Promise<void> {
    const resetAtMs = p.resetAt.getTime();
    await this.jobs.enqueue(
      'budgets.reset',
      { level: p.level, id: p.id, resetAtMs },
      { jobId: budgetResetJobId(p.level, p.id, resetAtMs), delayMs: resetAtMs - now },
    );
  }
}
