import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { JOB_NAMES, JobHandler, jobsHandledBy, noopJobHandlers } from './index';

@Injectable()
class BudgetJobs {
  @JobHandler('budgets.reset-sweep')
  async sweep(): Promise<void> {}
  @JobHandler('budgets.reset')
  async reset(): Promise<void> {}
  async helper(): Promise<void> {}
}

describe('noopJobHandlers', () => {
  it('reads the jobs a provider handles from its @JobHandler methods', () => {
    expect(jobsHandledBy(BudgetJobs).sort()).toEqual(['budgets.reset', 'budgets.reset-sweep']);
  });

  it('handles every catalogued job the supplied providers do not, with handlers that do nothing', async () => {
    const Noop = noopJobHandlers(BudgetJobs);
    expect(jobsHandledBy(Noop).sort()).toEqual(
      JOB_NAMES.filter((n) => n !== 'budgets.reset' && n !== 'budgets.reset-sweep').sort(),
    );
    const noop = new Noop() as Record<string, () => Promise<unknown>>;
    expect(await noop['keys.expire-sweep']!()).toBeUndefined();
    expect(jobsHandledBy(noopJobHandlers()).sort()).toEqual([...JOB_NAMES].sort());
  });
});
