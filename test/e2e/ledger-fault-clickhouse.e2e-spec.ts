import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRecordedOnce, type LedgerStack, runLedgerLoadWithFault, startLedgerStack } from './ledger/ledger-load';

/**
 * Fault: ClickHouse stops mid-run and starts again. The test owns that ClickHouse (a private clickhouse-server
 * on its own ports and data folder), so the shared one is never stopped. Spend acks nothing while ClickHouse
 * is down (the events wait in JetStream), Postgres counts a redelivered event once: afterwards every answered
 * request is recorded exactly once in both.
 */
describe('ledger fault: ClickHouse stopped mid-run', () => {
  let ledger: LedgerStack;

  beforeAll(async () => {
    ledger = await startLedgerStack({ privateServer: 'clickhouse', teams: 2, keysPerTeam: 2 });
  });

  afterAll(() => ledger?.stop());

  it('records every answered request exactly once after ClickHouse comes back', async () => {
    const { fakes, stack, tenants } = ledger;
    const clickhouse = ledger.server!;
    const t0 = Date.now();
    const { sent, faultAt, recoveredAt } = await runLedgerLoadWithFault(stack, tenants, {
      count: 400,
      concurrency: 10,
      faultAfter: 120,
      recoverAfter: 280,
      fault: () => clickhouse.stop(),
      recover: () => clickhouse.start(),
    });
    const loadMs = Date.now() - t0;
    expect(faultAt).toBeDefined();
    expect(sent.filter((s) => !s.requestId)).toEqual([]);
    const r = await expectRecordedOnce(stack, sent, fakes, { timeoutMs: 120_000 });
    expect(r.rows).toBe(400);
    console.log(
      `ledger fault (ClickHouse stopped): ${sent.length} requests in ${loadMs} ms, ClickHouse down ${recoveredAt! - faultAt!} ms; ` +
        `${r.rows} rows, once each (${r.answered} answered, ${r.failed} failed, ${r.cancelled} cancelled), all recorded ${Date.now() - t0} ms after the start`,
    );
  }, 300_000);
});
