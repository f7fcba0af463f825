import { describe, expect, it } from 'vitest';
import type { RequestSummary } from '@switchyard/contracts';
import { compileRoutePattern } from '@switchyard/routing';
import { AutoRouter } from './auto-router';

const summary = (model: string, s: Partial<RequestSummary> = {}): RequestSummary => ({
  model,
  stream: false,
  includeUsage: false,
  tags: [],
  promptChars: 10,
  strip: [],
  ...s,
});

describe('AutoRouter', () => {
  const router = new AutoRouter([
    {
      model: 'auto',
      rules: [
        { name: 'tools', model: 'agent', tools: true },
        { name: 'sql', model: 'coder', pattern: compileRoutePattern('^select\\b', true) },
      ],
      default: 'cheap',
    },
  ]);

  it('rewrites a request for the virtual model to the chosen one, keeping what was asked', () => {
    const s = summary('auto', { needs: ['tools'] });
    router.apply(s, {});
    expect(s).toMatchObject({ model: 'agent', autoRoute: { from: 'auto', rule: 'tools' } });
    const d = summary('auto');
    router.apply(d, { messages: [{ role: 'user', content: 'hello' }] });
    expect(d).toMatchObject({ model: 'cheap', autoRoute: { from: 'auto', rule: 'default' } });
  });

  it("tests the pattern on the last user message's text, parts included", () => {
    const s = summary('auto');
    router.apply(s, {
      messages: [
        { role: 'user', content: 'no' },
        { role: 'assistant', content: 'SELECT 1' },
        { role: 'user', content: [{ type: 'text', text: 'Select * from t' }] },
        { role: 'tool', content: 'x', tool_call_id: 't' },
      ],
    });
    expect(s).toMatchObject({ model: 'coder', autoRoute: { rule: 'sql' } });
  });

  it('leaves other models alone', () => {
    const s = summary('gpt-4o');
    router.apply(s, {});
    expect(s).toEqual(summary('gpt-4o'));
  });
});
