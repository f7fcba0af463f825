import { Inject, Injectable } from '@nestjs/common';
import { Errors, nanosToUsd } from '@switchyard/contracts';
import { EndUsersRepository, ReusableBudgetsRepository, type EndUserRecord } from '@switchyard/db';
import { AuditService } from '../audit/audit.service';
import { budgetNotFound } from '../budgets/budgets.service';
import { ApiException } from '../common/api.exception';
import { limitInputOf, limitsJson } from '../common/limits.schemas';
import { budgetToNanos, nanosToUsdOrNull } from '../common/money';
import { parseInput } from '../common/parse-input';
import { UpsertEndUserSchema, type EndUserJson } from './end-users.schemas';

export function toEndUserJson(e: EndUserRecord): EndUserJson {
  return {
    user_id: e.id,
    alias: e.alias,
    blocked: e.blocked,
    budget_id: e.budgetId,
    max_budget: nanosToUsdOrNull(e.limits.maxBudgetNanos),
    max_budget_nanos: e.limits.maxBudgetNanos?.toString() ?? null,
    spend: nanosToUsd(e.limits.spendNanos),
    spend_nanos: e.limits.spendNanos.toString(),
    ...limitsJson(e.limits),
    metadata: e.metadata,
    created_at: e.createdAt.toISOString(),
  };
}

/** End users (customers): budgets and limits the gateways apply within a second of a change. */
@Injectable()
export class EndUsersService {
  constructor(
    @Inject(EndUsersRepository) private readonly endUsers: EndUsersRepository,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(ReusableBudgetsRepository) private readonly budgets: ReusableBudgetsRepository,
  ) {}

  /** Creates the end user or changes the fields given (LiteLLM's /customer/new and /customer/update both land here). */
  async upsert(body: unknown, action = 'end_user.upserted'): Promise<EndUserJson> {
    const input = parseInput(UpsertEndUserSchema, body);
    const before = await this.endUsers.get(input.user_id);
    if (typeof input.budget_id === 'string') {
      const own = LIMIT_FIELDS.filter((f) => input[f] !== undefined);
      if (own.length > 0)
        throw new ApiException(
          Errors.invalidRequest(
            `Give either budget_id or the end user's own limits (${own.join(', ')}), not both: a linked end user takes the budget's limits. Change them with POST /budget/update.`,
            own[0],
          ),
        );
      const linked = await this.budgets.linkEndUser(input.user_id, input.budget_id, {
        alias: input.alias,
        blocked: input.blocked,
        metadata: input.metadata,
      });
      if (!linked) throw new ApiException({ ...budgetNotFound(input.budget_id), param: 'budget_id' });
      const e = (await this.endUsers.get(input.user_id))!;
      await this.recordChange(action, before, e, input);
      return toEndUserJson(e);
    }
    const e = await this.endUsers.upsert(input.user_id, {
      ...(input.budget_id === null && { budgetId: null }),
      alias: input.alias,
      blocked: input.blocked,
      metadata: input.metadata,
      limits: {
        ...limitInputOf(input),
        ...(input.max_budget !== undefined && { maxBudgetNanos: budgetToNanos(input.max_budget) }),
      },
    });
    await this.recordChange(action, before, e, input);
    return toEndUserJson(e);
  }

  private async recordChange(
    action: string,
    before: EndUserRecord | undefined,
    after: EndUserRecord,
    input: Record<string, unknown>,
  ): Promise<void> {
    await this.audit.record({
      action,
      entity: 'end_user',
      entityId: after.id,
      details: { changed: Object.keys(input).filter((k) => k !== 'user_id') },
      before: before ? toEndUserJson(before) : null,
      after: toEndUserJson(after),
    });
  }

  async get(id: unknown): Promise<EndUserJson> {
    if (typeof id !== 'string' || id === '')
      throw new ApiException(Errors.invalidRequest('Name the end user: ?end_user_id=<id>.', 'end_user_id'));
    const e = await this.endUsers.get(id);
    if (!e)
      throw new ApiException(Errors.notFound(`End user "${id}" does not exist. Create it with POST /customer/new.`));
    return toEndUserJson(e);
  }

  block(body: unknown, blocked: boolean): Promise<EndUserJson> {
    const ids = (body as { user_ids?: unknown } | null)?.user_ids;
    const id = Array.isArray(ids) && ids.length === 1 ? ids[0] : (body as { user_id?: unknown } | null)?.user_id;
    return this.upsert({ user_id: id, blocked }, blocked ? 'end_user.blocked' : 'end_user.unblocked');
  }
}

const LIMIT_FIELDS = [
  'max_budget',
  'soft_budget',
  'budget_duration',
  'rpm_limit',
  'tpm_limit',
  'max_parallel_requests',
] as const;
