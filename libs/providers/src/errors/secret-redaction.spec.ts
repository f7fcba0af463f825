import { describe, expect, it } from 'vitest';
import { createRedactor, deploymentSecrets, redactKeyShapes } from './secret-redaction';

describe('redactKeyShapes', () => {
  const cases: [string, string][] = [
    ['OpenAI', 'sk-proj-abcDEF1234567890abcdef'],
    ['Anthropic', 'sk-ant-api03-abcDEF1234567890abcdef-XYZ'],
    ['Groq', 'gsk_abcDEF1234567890abcdefGHIJ'],
    ['xAI', 'xai-abcDEF1234567890abcdefGHIJ'],
    ['Google', 'AIzaSyA1234567890abcdefGHIJKLMNOPQRS'],
    ['AWS access key id', 'AKIAIOSFODNN7EXAMPLE'],
    ['Perplexity', 'pplx-abcDEF1234567890abcdef'],
    ['Hugging Face', 'hf_abcDEF1234567890abcdef'],
    ['JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'],
  ];
  for (const [name, key] of cases) {
    it(`masks a ${name} key`, () => {
      const out = redactKeyShapes(`Incorrect API key provided: ${key}. You can find your key elsewhere.`);
      expect(out).not.toContain(key);
      expect(out).toContain('Incorrect API key provided: ');
    });
  }

  it('masks bearer tokens, key parameters and organisation ids', () => {
    const out = redactKeyShapes(
      'header Authorization: Bearer abc.def-123456 url https://h/v1?key=zzzz9999yyyy&alt=sse x-api-key: "qqqq1111" org-abcdef123',
    );
    for (const s of ['abc.def-123456', 'zzzz9999yyyy', 'qqqq1111', 'org-abcdef123']) expect(out).not.toContain(s);
    expect(out).toContain('alt=sse');
  });

  it('leaves ordinary error text alone', () => {
    const text = "Invalid value for 'messages': key must be a string; the token limit is 4096 (task-force skills).";
    expect(redactKeyShapes(text)).toBe(text);
  });
});

describe('createRedactor', () => {
  it('masks configured secrets of any shape by value, encoded forms included', () => {
    const deployment = {
      id: 'd',
      modelName: 'm',
      provider: 'openai',
      model: 'm',
      apiKey: 'plain-looking-secret-42',
      params: {
        family: 'openai',
        model: 'openai/m',
        extra_headers: { 'x-proxy-auth': 'Bearer proxy_token_value', 'x-tenant': 'tnt/with space' },
      },
    } as never;
    const redact = createRedactor(deploymentSecrets(deployment));
    const out = redact(
      'echo plain-looking-secret-42 / proxy_token_value / tnt%2Fwith%20space / "tnt/with space" / short',
    );
    expect(out).toBe('echo *** / *** / *** / "***" / short');
  });
});
