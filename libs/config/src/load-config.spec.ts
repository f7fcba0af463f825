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
    expect(c.routerSettings).toMatchObject({
      routingStrategy: 'simple-shuffle',
      numRetries: 2,
      timeoutMs: 30_000,
      aliases: { fast: 'gpt-4o' },
      cooldowns: { allowedFails: 3, cooldownTimeMs: 5000 },
      fallbacks: { fallbacks: {}, defaultFallbacks: [], maxFallbacks: 5 },
    });
    expect(c.masterKeySetting).toBe('os.environ/MASTER');
  });

  it("reads retries, fallbacks and cooldowns with LiteLLM's names, router_settings over litellm_settings", () => {
    const doc = parse(`
model_list:
  - model_name: small
    litellm_params: { model: openai/gpt-4o-mini, api_key: k }
  - model_name: large
    litellm_params: { model: openai/gpt-4.1, api_key: k }
router_settings:
  num_retries: 1
  fallbacks: [{ small: [large] }]
  context_window_fallbacks: [{ small: [large] }]
  default_fallbacks: [large]
  max_fallbacks: 2
  allowed_fails: 1
  cooldown_time: 0.5
  retry_after: 2
  retry_policy: { RateLimitErrorRetries: 4, BadRequestErrorRetries: 0 }
  model_group_retry_policy: { large: { TimeoutErrorRetries: 2 } }
litellm_settings:
  num_retries: 9
  content_policy_fallbacks: [{ small: [large] }]
  cooldown_time: 30
`);
    expect(buildRoutingConfig(doc, {}).routerSettings).toMatchObject({
      numRetries: 1,
      retryPolicy: { RateLimitErrorRetries: 4, BadRequestErrorRetries: 0 },
      groupRetryPolicy: { large: { TimeoutErrorRetries: 2 } },
      minRetryWaitMs: 2000,
      fallbacks: {
        fallbacks: { small: ['large'] },
        contextWindowFallbacks: { small: ['large'] },
        contentPolicyFallbacks: { small: ['large'] },
        defaultFallbacks: ['large'],
        maxFallbacks: 2,
      },
      cooldowns: { allowedFails: 1, cooldownTimeMs: 500 },
    });
    expect(buildRoutingConfig(parse('litellm_settings: { num_retries: 3 }'), {}).routerSettings.numRetries).toBe(3);
  });

  it('refuses malformed retry and fallback settings, naming them', () => {
    expect(() => buildRoutingConfig(parse('router_settings: { retry_policy: { RateLimitRetries: 2 } }'), {})).toThrow(
      /retry_policy/,
    );
    expect(() => buildRoutingConfig(parse('router_settings: { fallbacks: { small: [large] } }'), {})).toThrow(
      /fallbacks/,
    );
    expect(() => buildRoutingConfig(parse('router_settings: { fallbacks: [{ a: [b] }, { a: [c] }] }'), {})).toThrow(
      /"a" twice/,
    );
    expect(() => buildRoutingConfig(parse('router_settings: { allowed_fails: -1 }'), {})).toThrow(/allowed_fails/);
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

describe('provider environment fallbacks and drop_params', () => {
  const doc = parse(`
model_list:
  - model_name: claude
    litellm_params: { model: anthropic/claude-sonnet-4-5 }
  - model_name: claude-own
    litellm_params: { model: anthropic/claude-sonnet-4-5, api_key: os.environ/MY_KEY, drop_params: false }
  - model_name: nova
    litellm_params: { model: bedrock/amazon.nova-pro-v1:0, aws_region_name: eu-west-1 }
  - model_name: azure
    litellm_params: { model: azure/gpt-4o }
litellm_settings:
  drop_params: true
`);
  const env = {
    ANTHROPIC_API_KEY: 'sk-ant-env',
    MY_KEY: 'sk-ant-own',
    AWS_ACCESS_KEY_ID: 'AKIAENV',
    AWS_SECRET_ACCESS_KEY: 'secret-env',
    AWS_REGION: 'us-east-1',
    AZURE_API_BASE: 'https://example.openai.azure.com/',
    AZURE_API_KEY: 'az-env',
    AZURE_API_VERSION: '2024-10-21',
  };

  it("fills settings the entry leaves out from the provider's usual variables, naming them", () => {
    const [claude, own, nova, azure] = buildConfig(doc, env).deployments;
    expect(claude).toMatchObject({ apiKey: 'sk-ant-env', apiKeyEnv: 'ANTHROPIC_API_KEY' });
    expect(own).toMatchObject({ apiKey: 'sk-ant-own', apiKeyEnv: 'MY_KEY' });
    // The region written in the entry wins over AWS_REGION; the keys come from the environment.
    expect(nova!.params).toMatchObject({
      aws_access_key_id: 'AKIAENV',
      aws_secret_access_key: 'secret-env',
      aws_region_name: 'eu-west-1',
    });
    expect(azure).toMatchObject({
      apiBase: 'https://example.openai.azure.com',
      apiKey: 'az-env',
      apiVersion: '2024-10-21',
    });
  });

  it("an entry's own credential kind is not overridden by another kind from the environment", () => {
    const entra = parse(`
model_list:
  - model_name: azure-entra
    litellm_params: { model: azure/gpt-4o, api_base: https://x.openai.azure.com, tenant_id: t, client_id: c, client_secret: os.environ/SECRET }
`);
    const [d] = buildConfig(entra, { ...env, SECRET: 's' }).deployments;
    expect(d!.apiKey).toBeUndefined();
    expect(d!.params).toMatchObject({ client_secret: 's', api_version: '2024-10-21' });
  });

  it('without the variables, the settings stay unset', () => {
    const [claude] = buildConfig(doc, { MY_KEY: 'sk-ant-own' }).deployments;
    expect(claude!.apiKey).toBeUndefined();
  });

  it('applies litellm_settings.drop_params to every deployment unless it sets its own', () => {
    const [claude, own] = buildConfig(doc, env).deployments;
    expect(claude!.params).toMatchObject({ drop_params: true });
    expect(own!.params).toMatchObject({ drop_params: false });
  });

  it('refuses a drop_params that is not a boolean', () => {
    expect(() => buildConfig(parse('litellm_settings: { drop_params: "yes" }'), {})).toThrow(ConfigError);
  });

  it('the routing view reads no provider variable', () => {
    const routing = buildRoutingConfig(doc, env).deployments;
    expect(routing[0]).not.toHaveProperty('apiKey');
  });
});

describe('deployment prices (model_info, LiteLLM names)', () => {
  const yaml = (modelInfo: string) =>
    parse(`
model_list:
  - model_name: llama
    litellm_params: { model: openai/llama-3-70b, api_base: "http://127.0.0.1:1" }
    model_info: ${modelInfo}
`);

  it('reads them into the deployment, exactly, in nano-USD per 1M tokens', () => {
    const [d] = buildRoutingConfig(
      yaml(
        '{ base_model: llama-3.3-70b, input_cost_per_token: 0.00000059, output_cost_per_token: 7.9e-7, cache_read_input_token_cost: 1e-7, input_cost_per_token_above_128k_tokens: 0.0000012 }',
      ),
      {},
    ).deployments;
    expect(d).toMatchObject({
      baseModel: 'llama-3.3-70b',
      pricing: {
        inputNanosPerMTok: 590_000_000n,
        outputNanosPerMTok: 790_000_000n,
        cachedInputNanosPerMTok: 100_000_000n,
        longContext: { aboveInputTokens: 128_000, inputNanosPerMTok: 1_200_000_000n },
      },
    });
    expect(buildRoutingConfig(yaml('{ id: x }'), {}).deployments[0]!.pricing).toBeUndefined();
  });

  it('refuses a price it cannot apply or read, naming the entry and field', () => {
    expect(() => buildRoutingConfig(yaml('{ input_cost_per_second: 0.001 }'), {})).toThrow(ConfigError);
    expect(() => buildRoutingConfig(yaml('{ input_cost_per_second: 0.001 }'), {})).toThrow(
      /model_list\[0\] \(llama\)\.model_info\.input_cost_per_second is a price Switchyard cannot apply/,
    );
    expect(() => buildRoutingConfig(yaml('{ output_cost_per_token: -1 }'), {})).toThrow(/output_cost_per_token/);
  });
});
