import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageSpool } from './usage-spool';

const dirs: string[] = [];
const spoolFile = () => {
  const d = mkdtempSync(join(tmpdir(), 'sy-spool-unit-'));
  dirs.push(d);
  return join(d, 'sub', 'usage.jsonl');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('UsageSpool', () => {
  it('replays in order, stops at a failure, and a new instance (a restart) resumes where it stopped', async () => {
    const path = spoolFile();
    const spool = new UsageSpool(path);
    spool.append(['{"n":1}', '{"n":2}', '{"n":3}']);
    const sent: string[] = [];
    const failOn2 = async (l: string) => {
      if (l.includes('2')) throw new Error('nats down');
      sent.push(l);
    };
    await expect(spool.replay(failOn2)).rejects.toThrow('nats down');
    expect(sent).toEqual(['{"n":1}']);
    expect(spool.pendingBytes()).toBe('{"n":2}\n{"n":3}\n'.length);

    const restarted = new UsageSpool(path);
    restarted.append(['{"n":4}']);
    expect(await restarted.replay(async (l) => void sent.push(l))).toBe(true);
    expect(sent).toEqual(['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']);
    expect(existsSync(path)).toBe(false);
    expect(restarted.pendingBytes()).toBe(0);
  });

  it('keeps a line a crash cut short apart from the ones appended after it', async () => {
    const path = spoolFile();
    const spool = new UsageSpool(path);
    spool.append(['{"n":1}']);
    appendFileSync(path, '{"n":2, "torn');
    spool.repairTail();
    spool.append(['{"n":3}']);
    const sent: string[] = [];
    expect(await spool.replay(async (l) => void sent.push(l))).toBe(true);
    expect(sent).toEqual(['{"n":1}', '{"n":2, "torn', '{"n":3}']);
  });

  it('sends what is appended while it replays', async () => {
    const spool = new UsageSpool(spoolFile());
    spool.append(['a']);
    const sent: string[] = [];
    const done = await spool.replay(async (l) => {
      sent.push(l);
      if (l === 'a') spool.append(['b']);
    });
    expect(done).toBe(true);
    expect(sent).toEqual(['a', 'b']);
  });
});
