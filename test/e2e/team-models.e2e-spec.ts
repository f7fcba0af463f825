import OpenAI, { NotFoundError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack, waitFor } from '@switchyard/testing';

/**
 * A team's `models` limits its keys: the official OpenAI SDK sees only what both the key and its team
 * allow, admin refuses keys naming models outside their team's, and a team update reaches the gateway at once.
 */
describe('team model limits end to end', () => {
  let stack: Stack;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let admin: (method: string, path: string, body?: unknown) => Promise<{ status: number; json: any }>;

  beforeAll(async () => {
    stack = await startStack({
      configYaml: `
model_list:
  - model_name: gpt-4o
    litellm_params: { model: fake/gpt-4o }
  - model_name: gpt-4o-mini
    litellm_params: { model: fake/gpt-4o-mini }
  - model_name: claude-sonnet
    litellm_params: { model: fake/claude-sonnet }
`,
    });
    admin = async (method, path, body) => {
      const res = await fetch(`${stack.adminUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: await res.json().catch(() => undefined) };
    };
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
  const listed = async (key: string) => (await client(key).models.list()).data.map((m) => m.id).sort();
  const chat = (key: string, model: string) =>
    client(key)
      .chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
  const expectRefused = (res: unknown) => {
    expect(res).toBeInstanceOf(NotFoundError);
    expect((res as NotFoundError).code).toBe('model_not_found');
  };

  it("limits a team's keys to the intersection of the key's and the team's models, and follows team updates", async () => {
    const team = await admin('POST', '/v1/teams', { team_alias: 'limited', models: ['gpt-4o', 'gpt-4o-mini'] });
    expect(team.status).toBe(201);
    const teamId = team.json.id as string;

    // Admin refuses a key naming models its team does not allow, and names them.
    const outside = await admin('POST', '/v1/keys', { team_id: teamId, models: ['gpt-4o', 'claude-sonnet'] });
    expect(outside.status).toBe(400);
    expect(outside.json.error.param).toBe('models');
    expect(outside.json.error.message).toContain(': "claude-sonnet" is not allowed to the team');

    // A key naming no models gets its team's; one naming some gets those.
    const wide = await admin('POST', '/v1/keys', { team_id: teamId });
    expect(wide.status).toBe(201);
    const narrow = await admin('POST', '/v1/keys', { team_id: teamId, models: ['gpt-4o'] });
    expect(narrow.status).toBe(201);
    const wideKey = wide.json.key as string;
    const narrowKey = narrow.json.key as string;

    expect(await listed(wideKey)).toEqual(['gpt-4o', 'gpt-4o-mini']);
    expect(await listed(narrowKey)).toEqual(['gpt-4o']);
    expect(await listed(stack.masterKey)).toEqual(['claude-sonnet', 'gpt-4o', 'gpt-4o-mini']);
    expectRefused(await chat(wideKey, 'claude-sonnet'));
    expectRefused(await chat(narrowKey, 'gpt-4o-mini'));
    expect(((await chat(wideKey, 'gpt-4o')) as OpenAI.ChatCompletion).choices[0]?.message.content).toBeTruthy();

    // Narrowing the team reaches the gateway (which has both keys cached) within a second.
    const updated = await admin('PATCH', `/v1/teams/${teamId}`, { models: ['gpt-4o-mini'] });
    expect(updated.status).toBe(200);
    expect(updated.json.models).toEqual(['gpt-4o-mini']);
    const since = Date.now();
    await waitFor(async () => (await chat(wideKey, 'gpt-4o')) instanceof NotFoundError, {
      timeoutMs: 1000,
      what: 'the team update to reach the gateway',
    });
    expect(Date.now() - since).toBeLessThan(1000);
    expect(await listed(wideKey)).toEqual(['gpt-4o-mini']);
    // The key's list and the team's now have nothing in common: nothing is allowed, not everything.
    expect(await listed(narrowKey)).toEqual([]);
    expectRefused(await chat(narrowKey, 'gpt-4o'));
    expectRefused(await chat(narrowKey, 'claude-sonnet'));

    // Lifting the team's limit leaves each key its own.
    expect((await admin('PATCH', `/v1/teams/${teamId}`, { models: [] })).status).toBe(200);
    await waitFor(async () => (await listed(wideKey)).length === 3, { timeoutMs: 1000, what: 'the lifted limit' });
    expect(await listed(narrowKey)).toEqual(['gpt-4o']);
  });

  it('answers a bad team update with a 400 or 404 naming what is wrong', async () => {
    const team = await admin('POST', '/v1/teams', { models: ['gpt-4o'] });
    const unknownField = await admin('PATCH', `/v1/teams/${team.json.id}`, { max_parallel: 3 });
    expect(unknownField.status).toBe(400);
    expect(unknownField.json.error.param).toBe('max_parallel');
    const badModels = await admin('PATCH', `/v1/teams/${team.json.id}`, { models: 'gpt-4o' });
    expect(badModels.status).toBe(400);
    expect(badModels.json.error.param).toBe('models');
    const missing = await admin('PATCH', '/v1/teams/00000000-0000-4000-8000-000000000000', { models: [] });
    expect(missing.status).toBe(404);
    // LiteLLM's alias takes the team in the body.
    const alias = await admin('POST', '/team/update', { team_id: team.json.id, models: ['gpt-4o-mini'] });
    expect(alias.status).toBe(200);
    expect(alias.json.models).toEqual(['gpt-4o-mini']);
  });
});
