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
/** What LiteLLM's report calls spend without a team. */
export const UNASSIGNED_TEAM = 'Unassigned Team';

const byTotal = <T extends { total: bigint }>([, a]: [string, T], [, b]: [string, T]): number =>
  b.total > a.total ? 1 : b.total < a.total ? -1 : 0;

/**
 * LiteLLM's /global/spend/report: one entry per day (`group_by_day` as LiteLLM writes it, midnight UTC with
 * its offset), each listing the groups' spend (largest first) with the spend of each key and model in the
 * group (`metadata`: `model`, `spend`, `total_tokens`, `api_key`: the key's id, never key material). Rows
 * come grouped by day, the group's dimension, key and model; `names` gives teams their alias.
 */
export function toGlobalSpendReport(
  group: GlobalSpendGroup,
  dimension: 'team' | 'end_user' | 'key',
  rows: AnalyticsRow[],
  names: ReadonlyMap<string, string> = new Map(),
): Record<string, unknown>[] {
  type Entry = { model: string; spend: number; total_tokens: number; api_key: string };
  const days = new Map<string, Map<string, { total: bigint; metadata: Entry[] }>>();
  for (const r of rows) {
    const day = `${r.bucket!.toISOString().slice(0, 10)}T00:00:00+00:00`;
    const id = String(r.dimensions[dimension] ?? '');
    const name = group === 'team' ? (names.get(id) ?? (id === '' ? UNASSIGNED_TEAM : id)) : id;
    const groups = days.get(day) ?? new Map();
    days.set(day, groups);
    const g = groups.get(name) ?? { total: 0n, metadata: [] };
    groups.set(name, g);
    g.total += BigInt(r.spend_nanos);
    g.metadata.push({
      model: String(r.dimensions.model ?? ''),
      spend: nanosToUsd(r.spend_nanos),
      total_tokens: r.prompt_tokens + r.completion_tokens,
      api_key: String(r.dimensions.key ?? ''),
    });
  }
  return [...days.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, groups]) => ({
      group_by_day: day,
      [LIST_KEY[group]]: [...groups.entries()]
        .sort(byTotal)
        .map(([name, g]) => ({ [NAME_KEY[group]]: name, total_spend: nanosToUsd(g.total), metadata: g.metadata })),
    }));
}

/**
 * LiteLLM's /global/spend/report for one key (`api_key=`) or one key owner (`internal_user_id=`): per key, its
 * total cost and tokens and each model's. Rows come grouped by key and model.
 */
export function toKeySpendReport(rows: AnalyticsRow[]): Record<string, unknown>[] {
  type Model = { model: string; total_cost: number; total_input_tokens: number; total_output_tokens: number };
  const keys = new Map<string, { total: bigint; input: number; output: number; models: Model[] }>();
  for (const r of rows) {
    const id = String(r.dimensions.key ?? '');
    const k = keys.get(id) ?? { total: 0n, input: 0, output: 0, models: [] };
    keys.set(id, k);
    k.total += BigInt(r.spend_nanos);
    k.input += r.prompt_tokens;
    k.output += r.completion_tokens;
    k.models.push({
      model: String(r.dimensions.model ?? ''),
      total_cost: nanosToUsd(r.spend_nanos),
      total_input_tokens: r.prompt_tokens,
      total_output_tokens: r.completion_tokens,
    });
  }
  return [...keys.entries()].sort(byTotal).map(([id, k]) => ({
    api_key: id,
    total_cost: nanosToUsd(k.total),
    total_input_tokens: k.input,
    total_output_tokens: k.output,
    model_details: k.models,
  }));
}
