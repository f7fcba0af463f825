import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { Errors } from '@switchyard/contracts';
import { ReusableBudgetsRepository, type ReusableBudget, type ReusableBudgetInput } from '@switchyard/db';
import { AuditService } from '../audit/audit.service';
import { ApiException } from '../common/api.exception';
import { budgetToNanos, nanosToUsdOrNull } from '../common/money';
import { parseInput } from '../common/parse-input';
import {
  BudgetInfoSchema,
  CreateBudgetSchema,
  DeleteBudgetSchema,
  LitellmUpdateBudgetSchema,
  UpdateBudgetSchema,
  type BudgetJson,
} from './budgets.schemas';

export function toBudgetJson(b: ReusableBudget): BudgetJson {
  return {
    budget_id: b.id,
    max_budget: nanosToUsdOrNull(b.maxBudgetNanos),
    max_budget_nanos: b.maxBudgetNanos?.toString() ?? null,
    soft_budget: nanosToUsdOrNull(b.softBudgetNanos),
    soft_budget_nanos: b.softBudgetNanos?.toString() ?? null,
    budget_duration: b.budgetDuration,
    rpm_limit: b.rpmLimit,
    tpm_limit: b.tpmLimit,
    max_parallel_requests: b.maxParallelRequests,
    created_at: b.createdAt.toISOString(),
    updated_at: b.updatedAt.toISOString(),
  };
}

function inputOf(i: z.infer<typeof UpdateBudgetSchema>): ReusableBudgetInput {
  return {
    ...(i.max_budget !== undefined && { maxBudgetNanos: budgetToNanos(i.max_budget) }),
    ...(i.soft_budget !== undefined && { softBudgetNanos: budgetToNanos(i.soft_budget) }),
    ...(i.budget_duration !== undefined && { budgetDuration: i.budget_duration }),
    ...(i.rpm_limit !== undefined && { rpmLimit: i.rpm_limit }),
    ...(i.tpm_limit !== undefined && { tpmLimit: i.tpm_limit }),
    ...(i.max_parallel_requests !== undefined && { maxParallelRequests: i.max_parallel_requests }),
  };
}

export function budgetNotFound(id: string) {
  return Errors.notFound(
    `Budget "${id}" does not exist. Create it with POST /budget/new; list them with GET /budget/list.`,
  );
}

/**
 * LiteLLM's reusable budgets: created once, linked to end users (POST /customer/new with budget_id), whose limits
 * follow the budget's when it changes. Spend stays each end user's own.
 */
@Injectable()
export class BudgetsService {
  constructor(
    @Inject(ReusableBudgetsRepository) private readonly budgets: ReusableBudgetsRepository,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  async create(body: unknown): Promise<BudgetJson> {
    const { budget_id, ...fields } = parseInput(CreateBudgetSchema, body);
    const id = budget_id ?? randomUUID();
    const b = await this.budgets.create(id, inputOf(fields));
    if (!b)
      throw new ApiException(
        Errors.invalidRequest(
          `Budget "${id}" already exists. Change it with POST /budget/update, or choose another budget_id.`,
          'budget_id',
          'budget_exists',
        ),
      );
    const json = toBudgetJson(b);
    await this.audit.record({
      action: 'budget.created',
      entity: 'budget',
      entityId: id,
      details: {},
      before: null,
      after: json,
    });
    return json;
  }

  async get(id: string): Promise<BudgetJson> {
    const [b] = await this.budgets.get([id]);
    if (!b) throw new ApiException(budgetNotFound(id));
    return toBudgetJson(b);
  }

  /** LiteLLM's /budget/info: `{"budgets": [ids]}`; the ones that exist. */
  async info(body: unknown): Promise<BudgetJson[]> {
    const { budgets } = parseInput(BudgetInfoSchema, body);
    return (await this.budgets.get(budgets)).map(toBudgetJson);
  }

  async list(): Promise<BudgetJson[]> {
    return (await this.budgets.list()).map(toBudgetJson);
  }

  async update(id: string, body: unknown): Promise<BudgetJson> {
    return this.apply(id, parseInput(UpdateBudgetSchema, body));
  }

  /** LiteLLM's /budget/update: budget_id in the body. */
  async litellmUpdate(body: unknown): Promise<BudgetJson> {
    const { budget_id, ...fields } = parseInput(LitellmUpdateBudgetSchema, body);
    return this.apply(budget_id, fields);
  }

  private async apply(id: string, fields: z.infer<typeof UpdateBudgetSchema>): Promise<BudgetJson> {
    const [before] = await this.budgets.get([id]);
    if (!before) throw new ApiException(budgetNotFound(id));
    const after = await this.budgets.update(id, inputOf(fields));
    if (!after) throw new ApiException(budgetNotFound(id));
    const changed = Object.keys(fields);
    const json = toBudgetJson(after);
    await this.audit.record({
      action: 'budget.updated',
      entity: 'budget',
      entityId: id,
      details: { changed },
      before: toBudgetJson(before),
      after: json,
    });
    return json;
  }

  async delete(id: string): Promise<BudgetJson> {
    const r = await this.budgets.delete(id);
    if (!r) throw new ApiException(budgetNotFound(id));
    if ('refused' in r)
      throw new ApiException(
        Errors.invalidRequest(
          `Budget "${id}" is used by ${r.endUsers} end user(s): link them to another budget (POST /customer/update with budget_id) first.`,
          'id',
          'budget_in_use',
        ),
      );
    const json = toBudgetJson(r.deleted);
    await this.audit.record({
      action: 'budget.deleted',
      entity: 'budget',
      entityId: id,
      details: {},
      before: json,
      after: null,
    });
    return json;
  }

  /** LiteLLM's /budget/delete: `{"id": <budget id>}`. */
  litellmDelete(body: unknown): Promise<BudgetJson> {
    return this.delete(parseInput(DeleteBudgetSchema, body).id);
  }
}
