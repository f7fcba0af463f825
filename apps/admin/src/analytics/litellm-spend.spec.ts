import { describe, expect, it } from 'vitest';
import type { AnalyticsRow } from '@switchyard/analytics';
import { toGlobalSpendReport, toKeySpendReport, UNASSIGNED_TEAM } from './litellm-spend';

const row = (
  dimensions: AnalyticsRow['dimensions'],
  spendNanos: bigint,
  tokens: [number, number],
  day = '2026-11-24',
): AnalyticsRow =>
  ({
    dimensions,
    bucket: new Date(`${day}T00:00:00Z`),
    spend_nanos: spendNanos.toString(),
    requests: 1,
    errors: 0,
    prompt_tokens: tokens[0],
    completion_tokens: tokens[1],
    cached_tokens: 0,
    reasoning_tokens: 0,
    latency_ms_p50: 0,
    latency_ms_p95: 0,
    latency_ms_p99: 0,
    ttft_ms_p50: null,
    unpriced_requests: 0,
  }) as unknown as AnalyticsRow;

describe("LiteLLM's /global/spend/report shapes", () => {
  it('lists per day the teams by spend, named by alias, with the spend of each key and model', () => {
    const rows = [
      row({ team: 't1', key: 'k1', model: 'gpt-4o' }, 1_500_000n, [10, 5]),
      row({ team: 't1', key: 'k2', model: 'gpt-4o' }, 500_000n, [3, 2]),
      row({ team: '', key: 'k3', model: 'claude' }, 9_000_000n, [20, 20]),
      row({ team: 't1', key: 'k1', model: 'gpt-4o' }, 1_000n, [1, 1], '2026-11-25'),
    ];
    expect(toGlobalSpendReport('team', 'team', rows, new Map([['t1', 'Prod Team']]))).toEqual([
      {
        group_by_day: '2026-11-24T00:00:00+00:00',
        teams: [
          {
            team_name: UNASSIGNED_TEAM,
            total_spend: 0.009,
            metadata: [{ model: 'claude', spend: 0.009, total_tokens: 40, api_key: 'k3' }],
          },
          {
            team_name: 'Prod Team',
            total_spend: 0.002,
            metadata: [
              { model: 'gpt-4o', spend: 0.0015, total_tokens: 15, api_key: 'k1' },
              { model: 'gpt-4o', spend: 0.0005, total_tokens: 5, api_key: 'k2' },
            ],
          },
        ],
      },
      {
        group_by_day: '2026-11-25T00:00:00+00:00',
        teams: [
          {
            team_name: 'Prod Team',
            total_spend: 0.000001,
            metadata: [{ model: 'gpt-4o', spend: 0.000001, total_tokens: 2, api_key: 'k1' }],
          },
        ],
      },
    ]);
  });

  it('answers api_key= / internal_user_id= per key with each model, as LiteLLM does', () => {
    const rows = [
      row({ key: 'k1', model: 'a' }, 2_000n, [4, 1]),
      row({ key: 'k1', model: 'b' }, 3_000n, [6, 2]),
      row({ key: 'k2', model: 'a' }, 10_000n, [1, 1]),
    ];
    expect(toKeySpendReport(rows)).toEqual([
      {
        api_key: 'k2',
        total_cost: 0.00001,
        total_input_tokens: 1,
        total_output_tokens: 1,
        model_details: [{ model: 'a', total_cost: 0.00001, total_input_tokens: 1, total_output_tokens: 1 }],
      },
      {
        api_key: 'k1',
        total_cost: 0.000005,
        total_input_tokens: 10,
        total_output_tokens: 3,
        model_details: [
          { model: 'a', total_cost: 0.000002, total_input_tokens: 4, total_output_tokens: 1 },
          { model: 'b', total_cost: 0.000003, total_input_tokens: 6, total_output_tokens: 2 },
        ],
      },
    ]);
  });
});
