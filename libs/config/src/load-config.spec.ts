import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildConfig, ConfigError } from './load-config';

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
    expect(c.masterKey).toBe('sk-master-123');
  });

  it('derives the same deployment ids on every load, without the secret in them', () => {
    const one = buildConfig(parse(litellm), env).deployments.map((d) => d.id);
    const two = buildConfig(parse(litellm), { ...env, OPENAI_API_KEY: 'rotated' }).deployments.map((d) => d.id);
    expect(one).toEqual(two);
    expect(new Set(one).size).toBe(3);
    // The ids earlier versions derived: usage history and deployment health are keyed by them.
    expect(one).toEqual(['dep-ce37326c422c9428', 'dep-6a2f33528b884c4c', 'my-local']);
  });

  it('prefers SWITCHYARD_MASTER_KEY over the file', () => {
    expect(buildConfig(parse(litellm), { ...env, SWITCHYARD_MASTER_KEY: 'sk-env-master' }).masterKey).toBe(
      'sk-env-master',
    );
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
