import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '@switchyard/testing';

/**
 * A hostile nesting (10,000 levels in a 20 KB body) is the client's mistake: a 400 naming the field from
 * admin and gateway alike, never a 500, and no stack trace in the logs. The bodies are written as text:
 * JSON.stringify (and so the OpenAI SDK) cannot even serialise them.
 */
describe('deeply nested JSON', () => {
  let stack: Stack;
  const nested = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
  const deep = nested(10_000);
  const logs = () =>
    ['admin', 'gateway', 'router', 'translator']
      .map((svc) => {
        try {
          return readFileSync(join(stack.logDir, `${svc}.log`), 'utf8');
        } catch {
          return '';
        }
      })
      .join('\n');

  beforeAll(async () => {
    stack = await startStack({
      configYaml: `
model_list:
  - model_name: demo
    litellm_params: { model: fake/gpt-4o-mini }
`,
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const post = async (url: string, body: string) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
      body,
    });
    return { status: res.status, json: (await res.json().catch(() => undefined)) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  it('admin and gateway answer 400 naming the field, and log no stack trace', async () => {
    const before = logs().length;
    for (const path of ['/v1/teams', '/v1/keys', '/team/new', '/key/generate']) {
      const res = await post(`${stack.adminUrl}${path}`, `{"metadata":${deep}}`);
      expect(res.status, path).toBe(400);
      expect(res.json.error.param, path).toBe('metadata');
      expect(res.json.error.message, path).toMatch(/deeper than 32 levels/);
    }
    const chat = (field: string) =>
      post(
        `${stack.gatewayUrl}/v1/chat/completions`,
        `{"model":"demo","messages":[{"role":"user","content":"hi"}],"${field}":${deep}}`,
      );
    for (const field of ['metadata', 'response_format', 'tools']) {
      const res = await chat(field);
      expect(res.status, field).toBe(400);
      expect(res.json.error.param, field).toBe(field);
      expect(res.json.error.type).toBe('invalid_request_error');
    }
    const inMessages = await post(
      `${stack.gatewayUrl}/v1/chat/completions`,
      `{"model":"demo","messages":[{"role":"user","content":[${deep}]}]}`,
    );
    expect(inMessages.status).toBe(400);
    expect(inMessages.json.error.param).toBe('messages');

    // Still serving, and metadata of a sensible depth is accepted.
    expect((await post(`${stack.adminUrl}/v1/teams`, `{"metadata":${nested(32)}}`)).status).toBe(201);
    const fine = await post(
      `${stack.gatewayUrl}/v1/chat/completions`,
      `{"model":"demo","messages":[{"role":"user","content":"hi"}],"metadata":{"tags":["x"]}}`,
    );
    expect(fine.status).toBe(200);

    const written = logs().slice(before);
    expect(written).not.toMatch(/\n\s+at /);
    expect(written).not.toMatch(/RangeError|Maximum call stack/);
    // At most one line per refused request.
    expect(written.split('\n').filter((l) => /nest|deep|metadata/i.test(l)).length).toBeLessThanOrEqual(8);
  });
});
