import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectRecordedOnce,
  type LedgerStack,
  runLedgerLoad,
  type Sent,
  sendLedgerRequest,
  startLedgerStack,
} from './ledger/ledger-load';

/** How long NATS stays down: the two minutes. */
const OUTAGE_MS = 120_000;
/** Clients keep arriving during the outage: this many at once, each pausing between requests (its arrival rate). */
const OUTAGE_CLIENTS = 2;
const OUTAGE_PAUSE_MS = 400;

/**
 * Fault: NATS (a private nats-server with JetStream the test owns) is stopped for two minutes while requests
 * keep coming, then started again on the same port and store. Whatever the gateway answered meanwhile (it can
 * route nothing without NATS) has its usage event spooled to disk and replayed when NATS returns; requests
 * answered before, during and after are each recorded exactly once in ClickHouse and Postgres.
 */
describe('ledger fault: NATS down for two minutes', () => {
  let ledger: LedgerStack;

  beforeAll(async () => {
    ledger = await startLedgerStack({ privateServer: 'nats', teams: 2, keysPerTeam: 2 });
  });

  afterAll(() => ledger?.stop());

  it('records every request answered before, during and after the outage exactly once', async () => {
    const { fakes, stack, tenants } = ledger;
    const nats = ledger.server!;
    const t0 = Date.now();
    const before = await runLedgerLoad(stack, tenants, { count: 100, concurrency: 8 });

    await nats.stop();
    const down = Date.now();
    const during: Sent[] = [];
    let i = 100;
    await Promise.all(
      Array.from({ length: OUTAGE_CLIENTS }, async () => {
        while (Date.now() - down < OUTAGE_MS) {
          const n = i++;
          during.push(await sendLedgerRequest(stack, tenants[n % tenants.length]!, n));
          await delay(OUTAGE_PAUSE_MS);
        }
      }),
    );
    await nats.start();
    const outageMs = Date.now() - down;

    const after = await runLedgerLoad(stack, tenants, { from: i, count: 100, concurrency: 8 });
    const sent = [...before, ...during, ...after];
    const statuses: Record<string, number> = {};
    for (const s of during) statuses[`${s.outcome} ${s.status}`] = (statuses[`${s.outcome} ${s.status}`] ?? 0) + 1;
    // The gateway answered every request, during the outage too (with an error: it cannot route without NATS).
    expect(sent.filter((s) => !s.requestId).map((s) => `${s.i} ${s.outcome} ${s.status}`)).toEqual([]);
    expect(during.length).toBeGreaterThan(50);

    const r = await expectRecordedOnce(stack, sent, fakes, { timeoutMs: 120_000 });
    expect(r.rows).toBe(sent.length);
    console.log(
      `ledger fault (NATS down ${outageMs} ms): ${before.length} requests before, ${during.length} during ` +
        `(${JSON.stringify(statuses)}), ${after.length} after; ${r.rows} rows, once each ` +
        `(${r.answered} answered, ${r.failed} failed, ${r.cancelled} cancelled), all recorded ${Date.now() - t0} ms after the start`,
    );
  }, 420_000);
});
