import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildConfig, buildRoutingConfig, ConfigError } from './load-config';

const litellm = `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_API_KEY
      weight: 3
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o-eu
      api_base: https://example-eu.openai.azure.com/
      api_key: os.environ/AZURE_KEY
      api_version: "2024-10-21"
      rpm: 600
  - model_name: local
    litellm_params:
      model: llama-3
      api_base: http://127.0.0.1:8000/v1
    model_info:
      id: my-local
router_settings:
  routing_strategy: simple-shuffle
  num_retries: 2
  timeout: 30
  model_group_alias: { fast: gpt-4o }
general_settings:
  master_key: os.environ/MASTER
litellm_settings:
  drop_params: true
  success_callback: ["langfuse"]
`;
const env = { OPENAI_API_KEY: 'sk-openai', AZURE_KEY: 'az-key', MASTER: 'sk-master-123' };

describe('buildConfig', () => {
  it('loads a LiteLLM proxy config unchanged', () => {
    const c = buildConfig(parse(litellm), env);
    expect(c.deployments).toHaveLength(3);
    const [a, b, local] = c.deployments;
    expect(a).toMatchObject({
      modelName: 'gpt-4o',
      provider: 'openai',
      model: 'gpt-4o',
      apiKey: 'sk-openai',
      apiKeyEnv: 'OPENAI_API_KEY',
      weight: 3,
    });
    expect(b).toMatchObject({
      provider: 'azure',
      model: 'gpt-4o-eu',
      apiBase: 'https://example-eu.openai.azure.com',
      apiVersion: '2024-10-21',
      rpm: 600,
      weight: 1,
    });
    expect(local).toMatchObject({
      id: 'my-local',
      provider: 'openai',
      model: 'llama-3',
      apiBase: 'http://127.0.0.1:8000/v1',
    });
    expect(c.groups.get('gpt-4o')?.map((d) => d.id)).toEqual([a!.id, b!.id]);
    expect(c.routerSettings).toEqual({
      routingStrategy: 'simple-shuffle',
      numRetries: 2,
      timeoutMs: 30_000,
      aliases: { fast: 'gpt-4o' },
    });
    expect(c.masterKeySetting).toBe('os.environ/MASTER');
  });

  it('derives the same deployment ids on every load, without the secret in them', () => {
    const one = buildConfig(parse(litellm), env).deployments.map((d) => d.id);
    const two = buildConfig(parse(litellm), { ...env, OPENAI_API_KEY: 'rotated' }).deployments.map((d) => d.id);
    expect(one).toEqual(two);
    expect(new Set(one).size).toBe(3);
    // The ids earlier versions derived: usage history and deployment health are keyed by them.
    expect(one).toEqual(['dep-ce37326c422c9428', 'dep-6a2f33528b884c4c', 'my-local']);
  });

  it('names a missing environment variable and where it is used', () => {
    expect(() => buildConfig(parse(litellm), { AZURE_KEY: 'x', MASTER: 'y' })).toThrow(
      /model_list\[0\] \(gpt-4o\)\.litellm_params\.api_key refers to environment variable OPENAI_API_KEY/,
    );
  });

  it('rejects an entry without a model, pointing at it', () => {
    expect(() => buildConfig({ model_list: [{ model_name: 'x', litellm_params: {} }] }, {})).toThrow(ConfigError);
    expect(() => buildConfig({ model_list: [{ model_name: 'x', litellm_params: {} }] }, {})).toThrow(
      /model_list\.0\.litellm_params\.model/,
    );
  });

  it('rejects duplicate model_info ids and a non-URL api_base', () => {
    const dup = {
      model_list: [1, 2].map(() => ({
        model_name: 'm',
        litellm_params: { model: 'fake/m' },
        model_info: { id: 'same' },
      })),
    };
    expect(() => buildConfig(dup, {})).toThrow(/share model_info.id "same"/);
    expect(() =>
      buildConfig(
        { model_list: [{ model_name: 'm', litellm_params: { model: 'openai/m', api_base: 'file:///etc' } }] },
        {},
      ),
    ).toThrow(/http\(s\) URL/);
  });

  it('accepts an empty document', () => {
    expect(buildConfig(null, {}).deployments).toEqual([]);
  });
});

describe('organization as a list (LiteLLM multi-organisation)', () => {
  const doc = {
    model_list: [
      {
        model_name: '*',
        litellm_params: {
          model: 'openai/*',
          api_key: 'os.environ/OPENAI_API_KEY',
          organization: ['org-1', 'org-2', 'os.environ/ORG_3'],
        },
      },
      {
        model_name: 'gpt-4o',
        litellm_params: { model: 'openai/gpt-4o', organization: ['org-a', 'org-b'] },
        model_info: { id: 'fixed' },
      },
    ],
  };
  const orgEnv = { OPENAI_API_KEY: 'sk-openai', ORG_3: 'org-3' };

  it('makes one deployment per organisation, in list order, in the same group', () => {
    const c = buildConfig(doc, orgEnv);
    expect(c.deployments.map((d) => [d.modelName, d.organization])).toEqual([
      ['*', 'org-1'],
      ['*', 'org-2'],
      ['*', 'org-3'],
      ['gpt-4o', 'org-a'],
      ['gpt-4o', 'org-b'],
    ]);
    expect(c.groups.get('*')).toHaveLength(3);
    expect(c.groups.get('*')!.map((d) => [d.apiKey, d.model])).toEqual(Array(3).fill(['sk-openai', '*']));
  });

  it('gives each copy its own stable id, the same in every view', () => {
    const ids = buildConfig(doc, orgEnv).deployments.map((d) => d.id);
    expect(new Set(ids).size).toBe(5);
    expect(ids.slice(3)).toEqual(['fixed/org-a', 'fixed/org-b']);
    expect(buildRoutingConfig(doc, {}).deployments.map((d) => d.id)).toEqual(ids);
  });

  it('refuses an empty list or a non-string organisation, naming the entry', () => {
    const bad = (organization: unknown) =>
      buildRoutingConfig(
        { model_list: [{ model_name: 'm', litellm_params: { model: 'openai/m', organization } }] },
        {},
      );
    expect(() => bad([])).toThrow(/model_list\[0\] \(m\)\.litellm_params\.organization is an empty list/);
    expect(() => bad(['ok', 3])).toThrow(/organization\[1\] must be an organisation id/);
  });
});
