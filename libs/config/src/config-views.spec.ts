import { describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { buildConfig, buildRoutingConfig } from './load-config';

const yaml = `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_API_KEY
      organization: org-42
      temperature: 0.2
      max_tokens: 512
      stop: ["END"]
      seed: 7
      extra_headers: { x-team: research, x-gateway-token: os.environ/GATEWAY_TOKEN }
      weight: 3
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o-eu
      api_base: os.environ/AZURE_API_BASE
      api_version: "2024-10-21"
      tenant_id: tenant-1
      client_id: client-1
      client_secret: os.environ/AZURE_CLIENT_SECRET
      rpm: os.environ/AZURE_RPM
      timeout: 30
      stream_timeout: 10
      max_retries: 2
      order: 1
  - model_name: claude
    litellm_params:
      model: bedrock/anthropic.claude-3-5-sonnet
      aws_access_key_id: os.environ/AWS_ACCESS_KEY_ID
      aws_secret_access_key: os.environ/AWS_SECRET_ACCESS_KEY
      aws_session_token: os.environ/AWS_SESSION_TOKEN
      aws_region_name: eu-west-1
      aws_role_name: arn:aws:iam::1:role/llm
      aws_session_name: switchyard
      aws_bedrock_runtime_endpoint: https://bedrock.example.test
      input_cost_per_token: 0.000003
      output_cost_per_token: 0.000015
  - model_name: gemini-pro
    litellm_params:
      model: vertex_ai/gemini-1.5-pro
      vertex_project: my-project
      vertex_location: europe-west4
      vertex_credentials: os.environ/VERTEX_CREDENTIALS
      drop_params: true
      additional_drop_params: ["logit_bias"]
    model_info: { base_model: gemini-1.5-pro }
  - model_name: sonnet
    litellm_params: { model: anthropic/claude-sonnet-4, api_key: os.environ/ANTHROPIC_API_KEY, merge_reasoning_content_in_choices: true }
  - model_name: flash
    litellm_params: { model: gemini/gemini-2.0-flash, api_key: os.environ/GEMINI_API_KEY, tpm: 100000 }
  - model_name: command
    litellm_params: { model: cohere_chat/command-r, api_key: os.environ/COHERE_API_KEY }
general_settings:
  master_key: os.environ/MASTER
`;

const providerEnv = {
  OPENAI_API_KEY: 'sk-openai-secret',
  GATEWAY_TOKEN: 'gw-token-secret',
  AZURE_API_BASE: 'https://eu.example-azure.test/',
  AZURE_CLIENT_SECRET: 'azure-client-secret',
  AZURE_RPM: '600',
  AWS_ACCESS_KEY_ID: 'AKIA-secret',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-secret',
  AWS_SESSION_TOKEN: 'aws-session-secret',
  VERTEX_CREDENTIALS: '{"type":"service_account","private_key":"vertex-secret"}',
  ANTHROPIC_API_KEY: 'sk-ant-secret',
  GEMINI_API_KEY: 'gemini-secret',
  COHERE_API_KEY: 'cohere-secret',
};
const routingEnv = { MASTER: 'sk-master-123', AZURE_RPM: '600' };
const fullEnv = { ...routingEnv, ...providerEnv };

describe('routing view (gateway, router, spend, admin)', () => {
  it('loads without any provider variable and holds no provider credential or setting', () => {
    const c = buildRoutingConfig(parse(yaml), routingEnv);
    expect(c.deployments.map((d) => d.provider)).toEqual([
      'openai',
      'azure',
      'bedrock',
      'vertex_ai',
      'anthropic',
      'gemini',
      'cohere_chat',
    ]);
    for (const d of c.deployments) {
      expect(d).not.toHaveProperty('apiKey');
      expect(d).not.toHaveProperty('params');
      expect(d).not.toHaveProperty('requestDefaults');
    }
    // The master key is resolved only by the gateway and admin (resolveMasterKey), not in the routing view.
    expect(c.masterKeySetting).toBe('os.environ/MASTER');
  });

  it('keeps no secret in memory even when the variables are set', () => {
    const c = buildRoutingConfig(parse(yaml), fullEnv);
    const dump = JSON.stringify({ ...c, groups: [...c.groups] });
    for (const value of Object.values(providerEnv).filter((v) => v !== '600')) expect(dump).not.toContain(value);
    const inline = buildRoutingConfig(
      { model_list: [{ model_name: 'm', litellm_params: { model: 'openai/m', api_key: 'sk-inline-literal' } }] },
      {},
    );
    expect(JSON.stringify(inline.deployments)).not.toContain('sk-inline-literal');
  });

  it('keeps what routing needs, resolving routing fields from the environment', () => {
    const [openai, azure, , vertex] = buildRoutingConfig(parse(yaml), routingEnv).deployments;
    expect(openai).toMatchObject({ modelName: 'gpt-4o', family: 'openai', model: 'gpt-4o', weight: 3 });
    expect(azure).toMatchObject({
      family: 'azure',
      rpm: 600,
      order: 1,
      timeoutMs: 30_000,
      streamTimeoutMs: 10_000,
      maxRetries: 2,
      weight: 1,
    });
    // An api_base from the environment is a provider setting: only the translator resolves it.
    expect(azure!.apiBase).toBeUndefined();
    expect(vertex).toMatchObject({ family: 'vertex_ai', baseModel: 'gemini-1.5-pro' });
  });
});

describe("translator's view", () => {
  it('fails on a missing provider variable, naming it and the entry, where the routing view does not', () => {
    const { AWS_SECRET_ACCESS_KEY: _missing, ...env } = fullEnv;
    expect(() => buildRoutingConfig(parse(yaml), env)).not.toThrow();
    expect(() => buildConfig(parse(yaml), env)).toThrow(
      /model_list\[2\] \(claude\)\.litellm_params\.aws_secret_access_key refers to environment variable AWS_SECRET_ACCESS_KEY, which is not set/,
    );
    const { GATEWAY_TOKEN: _token, ...noHeader } = fullEnv;
    expect(() => buildConfig(parse(yaml), noHeader)).toThrow(
      /model_list\[0\] \(gpt-4o\)\.litellm_params\.extra_headers\.x-gateway-token refers to environment variable GATEWAY_TOKEN/,
    );
  });

  it('keeps every provider field typed per family, credentials resolved', () => {
    const [openai, azure, bedrock, vertex, anthropic, gemini, cohere] = buildConfig(parse(yaml), fullEnv).deployments;
    expect(openai).toMatchObject({
      apiKey: 'sk-openai-secret',
      apiKeyEnv: 'OPENAI_API_KEY',
      organization: 'org-42',
      params: {
        family: 'openai',
        organization: 'org-42',
        extra_headers: { 'x-team': 'research', 'x-gateway-token': 'gw-token-secret' },
        weight: 3,
      },
    });
    expect(azure).toMatchObject({
      apiBase: 'https://eu.example-azure.test',
      apiVersion: '2024-10-21',
      rpm: 600,
      params: {
        family: 'azure',
        api_version: '2024-10-21',
        tenant_id: 'tenant-1',
        client_id: 'client-1',
        client_secret: 'azure-client-secret',
        rpm: 600,
        timeout: 30,
      },
    });
    expect(bedrock!.params).toEqual({
      family: 'bedrock',
      aws_access_key_id: 'AKIA-secret',
      aws_secret_access_key: 'aws-secret-secret',
      aws_session_token: 'aws-session-secret',
      aws_region_name: 'eu-west-1',
      aws_role_name: 'arn:aws:iam::1:role/llm',
      aws_session_name: 'switchyard',
      aws_bedrock_runtime_endpoint: 'https://bedrock.example.test',
      input_cost_per_token: 0.000003,
      output_cost_per_token: 0.000015,
    });
    expect(vertex!.params).toEqual({
      family: 'vertex_ai',
      vertex_project: 'my-project',
      vertex_location: 'europe-west4',
      // JSON text in the variable is kept as text, as LiteLLM takes it (a path or the JSON itself).
      vertex_credentials: providerEnv.VERTEX_CREDENTIALS,
      drop_params: true,
      additional_drop_params: ['logit_bias'],
    });
    expect(anthropic!.params).toEqual({
      family: 'anthropic',
      api_key: 'sk-ant-secret',
      merge_reasoning_content_in_choices: true,
    });
    expect(gemini).toMatchObject({ tpm: 100_000, params: { family: 'gemini', api_key: 'gemini-secret' } });
    expect(cohere).toMatchObject({ provider: 'cohere_chat', params: { family: 'cohere' } });
  });

  it('keeps OpenAI chat parameters apart, as request defaults', () => {
    const [openai, azure] = buildConfig(parse(yaml), fullEnv).deployments;
    expect(openai!.requestDefaults).toEqual({ temperature: 0.2, max_tokens: 512, stop: ['END'], seed: 7 });
    expect(openai!.params).not.toHaveProperty('temperature');
    expect(azure!.requestDefaults).toEqual({});
  });

  it('keeps an unknown field and warns about it once', () => {
    const warn = vi.fn();
    const c = buildConfig(
      {
        model_list: [
          {
            model_name: 'm',
            litellm_params: { model: 'openai/m', aws_region_name: 'us-east-1', watsonx_region_name: 'eu-de' },
          },
        ],
      },
      {},
      { warn },
    );
    expect(c.deployments[0]!.params).toMatchObject({ aws_region_name: 'us-east-1', watsonx_region_name: 'eu-de' });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(
      /model_list\[0\] \(m\)\.litellm_params: aws_region_name, watsonx_region_name/,
    );
  });

  it('honours custom_llm_provider as LiteLLM does', () => {
    const c = buildConfig(
      { model_list: [{ model_name: 'm', litellm_params: { model: 'gpt-4o', custom_llm_provider: 'azure' } }] },
      {},
    );
    expect(c.deployments[0]).toMatchObject({ provider: 'azure', family: 'azure', model: 'gpt-4o' });
  });
});

describe('deployment ids', () => {
  it('are equal in both views, and across rotated credentials', () => {
    const ids = (env: NodeJS.ProcessEnv, view: typeof buildConfig | typeof buildRoutingConfig): string[] =>
      view(parse(yaml), env).deployments.map((d) => d.id);
    const full = ids(fullEnv, buildConfig);
    expect(ids(routingEnv, buildRoutingConfig)).toEqual(full);
    const rotated = Object.fromEntries(
      Object.entries(providerEnv).map(([k, v]) => [k, k === 'AZURE_RPM' ? v : `${v}-2`]),
    );
    expect(ids({ ...fullEnv, ...rotated }, buildConfig)).toEqual(full);
    expect(new Set(full).size).toBe(full.length);
  });

  it('do not change when a secret written in the file is rotated', () => {
    const entry = (secret: string) => ({
      model_list: [
        {
          model_name: 'm',
          litellm_params: {
            model: 'bedrock/m',
            aws_access_key_id: `AKIA${secret}`,
            aws_secret_access_key: secret,
            aws_session_token: secret,
            api_key: secret,
            extra_headers: { authorization: secret },
            aws_region_name: 'eu-west-1',
          },
        },
        {
          model_name: 'v',
          litellm_params: { model: 'vertex_ai/g', vertex_credentials: { private_key: secret }, vertex_project: 'p' },
        },
        { model_name: 'a', litellm_params: { model: 'azure/a', azure_ad_token: secret, client_secret: secret } },
      ],
    });
    const one = buildConfig(entry('one'), {}).deployments.map((d) => d.id);
    expect(buildConfig(entry('two'), {}).deployments.map((d) => d.id)).toEqual(one);
    expect(buildRoutingConfig(entry('three'), {}).deployments.map((d) => d.id)).toEqual(one);
  });

  it('stay those every earlier version derived', () => {
    const c = buildRoutingConfig({
      model_list: [
        {
          model_name: 'x',
          litellm_params: {
            timeout: 5,
            model: 'azure/x',
            api_key: 'k',
            api_version: 'v',
            extra: 1,
            rpm: 3,
            api_base: 'http://a',
          },
        },
      ],
    });
    expect(c.deployments[0]!.id).toBe('dep-137eb8cc54b51704');
  });
});

describe('typed validation', () => {
  const one = (params: Record<string, unknown>) => ({
    model_list: [{ model_name: 'm', litellm_params: { model: 'openai/m', ...params } }],
  });

  it('rejects a field of the wrong type in every view, naming the entry and the field', () => {
    for (const [field, value] of [
      ['temperature', 'hot'],
      ['rpm', 'many'],
      ['extra_headers', ['x']],
      ['drop_params', 'yes'],
      ['stop', 5],
    ] as const) {
      const pattern = new RegExp(`model_list\\[0\\] \\(m\\)\\.litellm_params\\.${field}`);
      expect(() => buildConfig(one({ [field]: value }), {}), field).toThrow(pattern);
      expect(() => buildRoutingConfig(one({ [field]: value }), {}), field).toThrow(pattern);
    }
    expect(() =>
      buildConfig(
        { model_list: [{ model_name: 'b', litellm_params: { model: 'bedrock/b', aws_region_name: 5 } }] },
        {},
      ),
    ).toThrow(/model_list\[0\] \(b\)\.litellm_params\.aws_region_name/);
  });

  it('types a value from the environment, naming the variable when it does not fit', () => {
    expect(buildConfig(one({ rpm: 'os.environ/RPM' }), { RPM: '60' }).deployments[0]!.rpm).toBe(60);
    expect(() => buildConfig(one({ rpm: 'os.environ/RPM' }), { RPM: 'lots' })).toThrow(
      /model_list\[0\] \(m\)\.litellm_params\.rpm: .*\(from environment variable RPM\)/,
    );
    expect(() => buildRoutingConfig(one({ rpm: 'os.environ/RPM' }), { RPM: 'lots' })).toThrow(
      /environment variable RPM/,
    );
  });
});
