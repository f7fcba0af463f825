import { Inject, Injectable, Logger } from '@nestjs/common';
import { CONFIG, ENV, type Env, type SwitchyardConfig } from '@switchyard/config';
import { BudgetsRepository, type SpendTotal } from '@switchyard/db';
import { JobHandler, JobRunner, type JobPayload } from '@switchyard/jobs';

const NANOS_PER_USD = 1_000_000_000;
const usd = (nanos: bigint) => Number(nanos) / NANOS_PER_USD;

/** One crossing of one level's soft budget in one period has one job id: a redelivered batch alerts once. */
export function softBudgetAlertJobId(level: string, id: string, periodMs: number): string {
  return `soft-budget.${level}.${encodeURIComponent(id)}.${periodMs}`;
}

/** The batch that took spend from below the soft budget to at or above it (each batch adds to spend once). */
export function crossedSoftBudget(t: SpendTotal): boolean {
  return (
    t.softBudgetNanos !== null && t.spendNanos - t.addedNanos < t.softBudgetNanos && t.spendNanos >= t.softBudgetNanos
  );
}

/**
 * soft_budget alerts, as LiteLLM configures them (general_settings.alerting: ["webhook"], WEBHOOK_URL): after a
 * batch is recorded, each level whose spend crossed its soft budget gets one BullMQ job per period, which POSTs the
 * alert and is retried with backoff until the webhook answers 2xx. The payload names the level by id and alias,
 * never by a secret.
 */
@Injectable()
export class SoftBudgetAlertJobs {
  private readonly logger = new Logger('SoftBudgetAlert');
  private readonly webhookUrl: string | undefined;

  constructor(
    @Inject(BudgetsRepository) private readonly budgets: BudgetsRepository,
    @Inject(JobRunner) private readonly jobs: JobRunner,
    @Inject(ENV) env: Env,
    @Inject(CONFIG) config: SwitchyardConfig,
  ) {
    const webhook =
      (config.alerting ?? []).includes('webhook') && (config.alertTypes?.includes('budget_alerts') ?? true);
    this.webhookUrl = webhook ? env.WEBHOOK_URL : undefined;
    if (webhook && !env.WEBHOOK_URL)
      this.logger.warn(
        'general_settings.alerting includes "webhook" but WEBHOOK_URL is not set: soft_budget alerts are not sent. Set WEBHOOK_URL.',
      );
  }

  /**
   * Enqueues an alert for each level the batch took past its soft budget. Never throws: spend is recorded already,
   * and a failure here must not make the batch count as failed.
   */
  async afterSpend(totals: readonly SpendTotal[]): Promise<void> {
    if (this.webhookUrl === undefined) return;
    for (const t of totals.filter(crossedSoftBudget)) {
      const periodMs = t.budgetResetAt?.getTime() ?? 0;
      try {
        await this.jobs.enqueue(
          'budgets.soft-budget-alert',
          {
            level: t.level,
            id: t.id,
            softBudgetNanos: t.softBudgetNanos!.toString(),
            spendNanos: t.spendNanos.toString(),
            periodMs,
          },
          { jobId: softBudgetAlertJobId(t.level, t.id, periodMs) },
        );
      } catch (e) {
        this.logger.error(
          `could not enqueue the soft_budget alert of ${t.level} ${t.id} (${(e as Error).message}); check REDIS_URL.`,
        );
      }
    }
  }

  @JobHandler('budgets.soft-budget-alert')
  async send(payload: JobPayload<'budgets.soft-budget-alert'>): Promise<{ status: number }> {
    if (this.webhookUrl === undefined) throw new Error('WEBHOOK_URL is not set; the alert cannot be sent.');
    const about = await this.budgets.describe(payload.level, payload.id);
    const soft = BigInt(payload.softBudgetNanos);
    const spend = BigInt(payload.spendNanos);
    const label = about?.alias ? `"${about.alias}" (${payload.id})` : payload.id;
    // LiteLLM's webhook fields (event, event_group, event_message, spend, soft_budget, max_budget), plus exact nanos.
    const body = {
      event: 'soft_budget_crossed',
      event_group: payload.level,
      event_message: `Soft budget crossed: ${payload.level} ${label} has spent $${usd(spend)} of its soft_budget $${usd(soft)}.`,
      [`${payload.level}_id`]: payload.id,
      [`${payload.level}_alias`]: about?.alias ?? null,
      spend: usd(spend),
      spend_nanos: payload.spendNanos,
      soft_budget: usd(soft),
      soft_budget_nanos: payload.softBudgetNanos,
      max_budget: about?.maxBudgetNanos == null ? null : usd(about.maxBudgetNanos),
      budget_reset_at: payload.periodMs > 0 ? new Date(payload.periodMs).toISOString() : null,
    };
    const res = await fetch(this.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    await res.body?.cancel().catch(() => undefined);
    // Not 2xx: fail, and BullMQ tries again after a backoff.
    if (res.status < 200 || res.status > 299) throw new Error(`the webhook answered ${res.status}; will retry`);
    return { status: res.status };
  }
}
