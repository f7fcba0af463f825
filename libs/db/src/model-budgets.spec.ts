import { describe, expect, it } from 'vitest';
import { keyModelId, modelBudgetScope, resolveModelBudget } from './model-budgets';

describe('resolveModelBudget (LiteLLM matching)', () => {
  const budgets = [{ model: 'gpt-4o' }, { model: 'openai/gpt-4o-mini' }, { model: 'claude' }];

  it('matches the model the request names first', () => {
    expect(resolveModelBudget('gpt-4o', budgets)).toEqual({ model: 'gpt-4o' });
    expect(resolveModelBudget('openai/gpt-4o-mini', budgets)).toEqual({ model: 'openai/gpt-4o-mini' });
  });

  it('then the name without its provider prefix', () => {
    expect(resolveModelBudget('openai/gpt-4o', budgets)).toEqual({ model: 'gpt-4o' });
    expect(resolveModelBudget('a/b/claude', budgets)).toEqual({ model: 'claude' });
  });

  it('never the other way round, nor by substring', () => {
    expect(resolveModelBudget('gpt-4o-mini', budgets)).toBeUndefined();
    expect(resolveModelBudget('gpt-4', budgets)).toBeUndefined();
    expect(resolveModelBudget('gpt-4o', [])).toBeUndefined();
  });

  it('makes a key_model budget level named <key>/<model>', () => {
    const s = modelBudgetScope('k1', {
      model: 'gpt-4o',
      maxBudgetNanos: 5n,
      spendNanos: 2n,
      budgetDuration: '1d',
      budgetResetAt: new Date(0),
    });
    expect(s).toMatchObject({ level: 'key_model', id: keyModelId('k1', 'gpt-4o'), maxBudgetNanos: 5n, spendNanos: 2n });
    expect(s.id).toBe('k1/gpt-4o');
  });
});
