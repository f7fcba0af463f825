import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { JOB_NAMES, JobHandler, JobRegistry, buildHandlerMap, noopJobHandlers, type FoundHandler } from './index';

const h = (name: string, owner: string): FoundHandler => ({ name, owner, fn: async () => undefined });

describe('buildHandlerMap', () => {
  it('pairs each catalogued job with its one handler', () => {
    const map = buildHandlerMap([h('a', 'A.run'), h('b', 'B.run')], ['a', 'b']);
    expect([...map.keys()]).toEqual(['a', 'b']);
  });
  it('fails on a missing handler', () => {
    expect(() => buildHandlerMap([h('a', 'A.run')], ['a', 'b'])).toThrow(
      /Job 'b' is in JOB_CATALOGUE but no provider has @JobHandler\('b'\)/,
    );
  });
  it('fails on two handlers for one job, naming both', () => {
    expect(() => buildHandlerMap([h('a', 'A.run'), h('a', 'B.run')], ['a'])).toThrow(
      /Job 'a' has 2 handlers \(A.run, B.run\)/,
    );
  });
  it('fails on a handler for a job that is not catalogued', () => {
    expect(() => buildHandlerMap([h('a', 'A.run'), h('zzz', 'Z.run')], ['a'])).toThrow(/'zzz'.*not in JOB_CATALOGUE/);
  });
});

describe('JobRegistry with Nest discovery', () => {
  @Injectable()
  class SweepJobs {
    calls: unknown[] = [];
    @JobHandler('keys.expire-sweep')
    async sweep(payload: Record<string, never>): Promise<number> {
      this.calls.push(payload);
      return 7;
    }
  }
  /** Every other catalogued job needs a handler too, or boot fails. */
  const OtherJobs = noopJobHandlers(SweepJobs);
  @Injectable()
  class DuplicateSweep {
    @JobHandler('keys.expire-sweep')
    async sweep(): Promise<void> {}
  }

  async function boot(providers: (new (...args: never[]) => unknown)[]) {
    @Module({ imports: [DiscoveryModule], providers: [...providers, JobRegistry] })
    class TestModule {}
    return NestFactory.createApplicationContext(TestModule, { logger: false, abortOnError: false });
  }

  it('finds decorated methods and binds them to their instance', async () => {
    const app = await boot([SweepJobs, OtherJobs]);
    const handler = app.get(JobRegistry).get('keys.expire-sweep');
    expect(handler.owner).toBe('SweepJobs.sweep');
    expect(await handler.fn({}, { jobId: '1', attempt: 1 })).toBe(7);
    expect(app.get(SweepJobs).calls).toEqual([{}]);
    await app.close();
  });

  it('fails boot when a catalogued job has no handler', async () => {
    expect(JOB_NAMES.length).toBeGreaterThan(0);
    await expect(boot([OtherJobs])).rejects.toThrow(/Job 'keys.expire-sweep' is in JOB_CATALOGUE but no provider/);
  });

  it('fails boot when a job has two handlers', async () => {
    await expect(boot([SweepJobs, DuplicateSweep, OtherJobs])).rejects.toThrow(/has 2 handlers/);
  });
});
