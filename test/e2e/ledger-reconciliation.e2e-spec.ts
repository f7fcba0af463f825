import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  analyticsLedger,
  asRecord,
  clickhouseLedger,
  expectedLedger,
  type LedgerStack,
  postgresLedger,
  runLedgerLoad,
  startLedgerStack,
} from './ledger/ledger-load';

const REQUESTS = 1_000;
const CONCURRENCY = 20;

/**
 * The ledger reconciles to the nano: 1,000 mixed requests through the five services (streamed and whole;
 * OpenAI-compatible, Anthropic and Gemini upstreams; the OpenAI and Anthropic SDKs as clients; three teams of
 * two keys; one upstream failing; clients leaving mid-stream), and the ClickHouse rows, the Postgres key and
 * team spend, and GET /v1/analytics each equal the sum computed here from the usage the fake upstreams
 * reported and the catalogue's prices.
 */
describe('ledger reconciliation', () => {
  let ledger: LedgerStack;

  beforeAll(async () => {
    ledger = await startLedgerStack();
  });

  afterAll(() => ledger?.stop());

  it('records 1,000 mixed requests in ClickHouse, Postgres and the analytics API at exactly their cost', async () => {
    const { fakes, stack, tenants } = ledger;
    const t0 = Date.now();
    const sent = await runLedgerLoad(stack, tenants, { count: REQUESTS, concurrency: CONCURRENCY });
    const loadMs = Date.now() - t0;

    const outcomes = { answered: 0, failed: 0, cancelled: 0, streamed: 0 };
    for (const s of sent) {
      outcomes[s.outcome]++;
      if (s.stream) outcomes.streamed++;
    }
    // The mix is what it claims to be; every request got an answer with its id.
    expect(sent.filter((s) => !s.requestId)).toEqual([]);
    expect(outcomes.failed).toBe(50);
    expect(outcomes.cancelled).toBe(50);
    // The upstream's 500 reaches the client as a 5xx of the gateway's.
    expect(new Set(sent.filter((s) => s.outcome === 'failed').map((s) => `${s.model} ${s.status >= 500}`))).toEqual(
      new Set(['broken true']),
    );

    const expected = expectedLedger(sent, fakes);
    expect(expected.reportedCount).toBe(outcomes.answered);

    const ch = await clickhouseLedger(stack, REQUESTS);
    const recordedMs = Date.now() - t0;
    expect(ch.rows).toBe(REQUESTS);
    const wrong = [...expected.byRequest].filter(([id, cost]) => ch.byRequest.get(id) !== cost);
    expect(
      wrong.slice(0, 5).map(([id, cost]) => ({ id, expected: String(cost), recorded: String(ch.byRequest.get(id)) })),
    ).toEqual([]);
    expect(ch.total).toBe(expected.total);

    const pg = await postgresLedger(stack);
    const keyIds = tenants.map((t) => t.keyId);
    const teamIds = [...new Set(tenants.map((t) => t.teamId))];
    expect(asRecord(pg.byKey, keyIds)).toEqual(asRecord(expected.byKey, keyIds));
    expect(asRecord(pg.byTeam, teamIds)).toEqual(asRecord(expected.byTeam, teamIds));
    expect(pg.counted).toBe(REQUESTS);

    const api = await analyticsLedger(stack);
    expect(api.requests).toBe(REQUESTS);
    expect(api.total).toBe(expected.total);
    expect(asRecord(api.byKey, keyIds)).toEqual(asRecord(expected.byKey, keyIds));

    // Why each answer ended: GET /v1/generation and /v1/logs say it, null where the answer did not finish.
    const finishOf = (o: string) => (o === 'answered' ? 'stop' : null);
    const sample = ['mini', 'cached', 'claude', 'gemini', 'broken', 'slow'].flatMap((m) =>
      [false, true].flatMap((stream) => sent.filter((s) => s.model === m && s.stream === stream).slice(0, 1)),
    );
    for (const s of sample) {
      const res = await fetch(`${stack.gatewayUrl}/v1/generation?id=${s.requestId}`, {
        headers: { authorization: `Bearer ${s.tenant.key}` },
      });
      const body = (await res.json()) as { data: { finish_reason: string | null; total_cost_nanos: string } };
      expect(res.status).toBe(200);
      expect({ model: s.model, stream: s.stream, finish: body.data.finish_reason }).toEqual({
        model: s.model,
        stream: s.stream,
        finish: finishOf(s.outcome),
      });
      expect(body.data.total_cost_nanos).toBe(String(expected.byRequest.get(s.requestId!)));
    }
    const logs = await fetch(`${stack.adminUrl}/v1/logs?limit=1000`, {
      headers: { authorization: `Bearer ${stack.masterKey}` },
    });
    const rows = ((await logs.json()) as { data: { request_id: string; finish_reason: string | null }[] }).data;
    expect(rows).toHaveLength(REQUESTS);
    const byId = new Map(sent.map((s) => [s.requestId!, s]));
    expect(rows.filter((r) => r.finish_reason !== finishOf(byId.get(r.request_id)!.outcome))).toEqual([]);

    console.log(
      `ledger reconciliation: ${REQUESTS} requests (${outcomes.answered} answered, ${outcomes.failed} failed upstream, ` +
        `${outcomes.cancelled} cancelled, ${outcomes.streamed} streamed) at concurrency ${CONCURRENCY} in ${loadMs} ms; ` +
        `all recorded after ${recordedMs} ms; total ${expected.total} nano-USD`,
    );
  }, 240_000);
});
