import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRecordedOnce, type LedgerStack, runLedgerLoadWithFault, startLedgerStack } from './ledger/ledger-load';

/**
 * Fault: spend is SIGKILLed mid-run (no shutdown, batches half done: Postgres committed, ClickHouse not, acks
 * not sent) and started again while requests keep coming. Every answered request is recorded exactly once.
 */
describe('ledger fault: spend killed mid-run', () => {
  let ledger: LedgerStack;

  beforeAll(async () => {
    ledger = await startLedgerStack({ teams: 2, keysPerTeam: 2 });
  });

  afterAll(() => ledger?.stop());

  it('records every answered request exactly once after spend is killed and restarted', async () => {
    const { fakes, stack, tenants } = ledger;
    const t0 = Date.now();
    const { sent, faultAt, recoveredAt } = await runLedgerLoadWithFault(stack, tenants, {
      count: 400,
      concurrency: 10,
      faultAfter: 120,
      recoverAfter: 240,
      fault: () => stack.stopService('spend', 'SIGKILL'),
      recover: () => stack.startService('spend'),
    });
    const loadMs = Date.now() - t0;
    expect(faultAt).toBeDefined();
    expect(sent.filter((s) => !s.requestId)).toEqual([]);
    const r = await expectRecordedOnce(stack, sent, fakes, { timeoutMs: 90_000 });
    expect(r.rows).toBe(400);
    console.log(
      `ledger fault (spend SIGKILL): ${sent.length} requests in ${loadMs} ms, spend down ${recoveredAt! - faultAt!} ms; ` +
        `${r.rows} rows, once each (${r.answered} answered, ${r.failed} failed, ${r.cancelled} cancelled), all recorded ${Date.now() - t0} ms after the start`,
    );
  }, 240_000);
});
