import type { AnalyticsRow, UsageLogRow } from '@switchyard/analytics';
import { nanosToUsd } from '@switchyard/contracts';

/** A row of LiteLLM's SpendLogs, as its GET /spend/logs lists them. */
export interface LitellmSpendLog {
  request_id: string;
  call_type: string;
  /** The key's id (LiteLLM shows its hashed token; Switchyard never shows key material). */
  api_key: string;
  spend: number;
  total_tokens: number;
  prompt_tokens: number;
  completion_tokens: number;
  startTime: string;
  endTime: string;
  completionStartTime: string | null;
  model: string;
  model_id: string;
  model_group: string;
  custom_llm_provider: string;
  user: string;
  end_user: string;
  team_id: string;
  metadata: Record<string, unknown>;
  cache_hit: string;
  request_tags: string[];
  status: 'success' | 'failure';
}

export function toLitellmSpendLog(r: UsageLogRow): LitellmSpendLog {
  const start = r.ts * 1000;
  const prompt = Number(r.prompt_tokens);
  const completion = Number(r.completion_tokens);
  return {
    request_id: r.request_id,
    call_type: 'acompletion',
    api_key: r.key_id,
    spend: nanosToUsd(r.cost_nanos),
    total_tokens: prompt + completion,
    prompt_tokens: prompt,
    completion_tokens: completion,
    startTime: new Date(start).toISOString(),
    endTime: new Date(start + Number(r.latency_ms)).toISOString(),
    completionStartTime: r.ttft_ms === null ? null : new Date(start + Number(r.ttft_ms)).toISOString(),
    model: r.upstream_model || r.requested_model,
    model_id: r.deployment_id,
    model_group: r.requested_model,
    custom_llm_provider: r.provider,
    user: r.user_id,
    end_user: r.end_user,
    team_id: r.team_id,
    metadata: {
      spend_nanos: r.cost_nanos,
      unpriced: Number(r.unpriced) === 1,
      ...(r.error_type && { error_type: r.error_type }),
    },
    cache_hit: 'False',
    request_tags: r.tags,
    status: Number(r.status) < 400 ? 'success' : 'failure',
  };
}

export type GlobalSpendGroup = 'team' | 'customer' | 'api_key';
const LIST_KEY = { team: 'teams', customer: 'customers', api_key: 'api_keys' } as const;
const NAME_KEY = { team: 'team_name', customer: 'customer', api_key: 'api_key' } as const;

/**
 * LiteLLM's /global/spend/report: one entry per day, each listing the groups' spend with a per-model
 * breakdown (`metadata`). Rows come grouped by day, the group's dimension and model.
 */
export function toGlobalSpendReport(
  group: GlobalSpendGroup,
  dimension: 'team' | 'end_user' | 'key',
  rows: AnalyticsRow[],
): Record<string, unknown>[] {
  const days = new Map<
    string,
    Map<string, { total: bigint; metadata: { model: string; spend: number; total_tokens: number }[] }>
  >();
  for (const r of rows) {
    const day = r.bucket!.toISOString().slice(0, 10);
    const name = String(r.dimensions[dimension] ?? '');
    const groups = days.get(day) ?? new Map();
    days.set(day, groups);
    const g = groups.get(name) ?? { total: 0n, metadata: [] };
    groups.set(name, g);
    g.total += BigInt(r.spend_nanos);
    g.metadata.push({
      model: String(r.dimensions.model ?? ''),
      spend: nanosToUsd(r.spend_nanos),
      total_tokens: r.prompt_tokens + r.completion_tokens,
    });
  }
  return [...days.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, groups]) => ({
      group_by_day: day,
      [LIST_KEY[group]]: [...groups.entries()]
        .sort(([, a], [, b]) => (b.total > a.total ? 1 : b.total < a.total ? -1 : 0))
        .map(([name, g]) => ({ [NAME_KEY[group]]: name, total_spend: nanosToUsd(g.total), metadata: g.metadata })),
    }));
}
