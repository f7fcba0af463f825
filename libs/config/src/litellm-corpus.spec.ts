import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveGroup, upstreamModelFor } from '@switchyard/routing';
import { ignoredSettings } from './litellm-settings';
import { parseLitellmYaml } from './litellm-yaml';
import { buildConfig, buildRoutingConfig, modelCatalog } from './load-config';
import { resolveMasterKey } from './master-key';
import type { ResolvedDeployment, SwitchyardConfig } from './switchyard-config';

/**
 * A corpus of LiteLLM proxy configs written the way LiteLLM's config docs show them (load balancing, aliases,
 * wildcards, multi-org, model-specific params, env references, router and litellm settings). Each loads in
 * both views, and a request for a model resolves to the deployments, providers and upstream models LiteLLM
 * would call.
 */
const DIR = join(__dirname, '__fixtures__/litellm-configs');
const ENV = {
  OPENAI_API_KEY: 'sk-openai',
  ANTHROPIC_API_KEY: 'sk-ant',
  GROQ_API_KEY: 'gsk',
  MISTRAL_API_KEY: 'mk',
  AZURE_API_KEY: 'az',
  AZURE_API_KEY_EU: 'az-eu',
  AZURE_API_KEY_CA: 'az-ca',
  AZURE_API_BASE: 'https://from-env.openai.azure.com/',
  AZURE_API_VERSION: '2024-10-21',
  AZURE_RPM: '600',
  AWS_ACCESS_KEY_ID: 'AKIA',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_REGION_NAME: 'eu-west-1',
  OPENAI_ORG_3: 'org-3',
  LITELLM_MASTER_KEY: 'sk-from-env-master-key-0123456789abcdef',
  REDIS_HOST: 'localhost',
  DATABASE_URL: 'postgres://x',
};

const load = (file: string) => parseLitellmYaml(readFileSync(join(DIR, file), 'utf8'));
const config = (file: string) => buildConfig(load(file), ENV, { warn: () => undefined });

/** What LiteLLM would call for a request of `model`: per deployment, provider and upstream model. */
function route(c: SwitchyardConfig<ResolvedDeployment>, model: string) {
  const resolved = resolveGroup(modelCatalog(c), model);
  if (!resolved) return undefined;
  return {
    group: resolved.group,
    calls: resolved.deployments.map((d) => [d.provider, upstreamModelFor(d, model)]),
    deployments: resolved.deployments,
  };
}

describe('LiteLLM config corpus', () => {
  it.each(readdirSync(DIR).filter((f) => f.endsWith('.yaml')))(
    '%s loads in both views (the routing view without provider variables), with the same ids',
    (file) => {
      const translator = config(file);
      // The routing view needs no provider variable: only routing fields given as os.environ/ (here AZURE_RPM).
      const routing = buildRoutingConfig(load(file), { AZURE_RPM: ENV.AZURE_RPM });
      expect(translator.deployments.length).toBeGreaterThan(0);
      expect(routing.deployments.map((d) => d.id)).toEqual(translator.deployments.map((d) => d.id));
    },
  );

  it('load balancing: one group, weighted, limits read as numbers', () => {
    const r = route(config('load-balancing.yaml'), 'gpt-4o')!;
    expect(r.calls).toEqual([
      ['azure', 'gpt-4o-eu'],
      ['azure', 'gpt-4o-ca'],
      ['openai', 'gpt-4o'],
    ]);
    expect(r.deployments.map((d) => [d.weight, d.rpm, d.tpm, d.order])).toEqual([
      [2, 6000, 1_000_000, undefined],
      [1, 3000, undefined, undefined],
      [1, undefined, undefined, 2],
    ]);
    expect(r.deployments.map((d) => d.apiKey)).toEqual(['az-eu', 'az-ca', 'sk-openai']);
    expect(r.deployments[0]!.apiBase).toBe('https://example-eu.openai.azure.com');
  });

  it('aliases: string and {model} forms resolve to their group', () => {
    const c = config('aliases.yaml');
    expect(route(c, 'gpt-3.5-turbo')).toMatchObject({ group: 'gpt-4o-mini', calls: [['openai', 'gpt-4o-mini']] });
    expect(route(c, 'claude')).toMatchObject({
      group: 'claude-sonnet',
      calls: [['anthropic', 'claude-sonnet-4-20250514']],
    });
  });

  it('wildcards: the asked model goes upstream without its provider prefix; exact groups win', () => {
    const c = config('wildcards.yaml');
    expect(route(c, 'gpt-4o')?.calls).toEqual([['openai', 'gpt-4o-2024-08-06']]);
    expect(route(c, 'gpt-4.1')).toMatchObject({ group: '*', calls: [['openai', 'gpt-4.1']] });
    expect(route(c, 'openai/o3-mini')?.calls).toEqual([['openai', 'o3-mini']]);
    expect(route(c, 'groq/llama-3.3-70b-versatile')).toMatchObject({
      group: 'groq/*',
      calls: [['groq', 'llama-3.3-70b-versatile']],
    });
    expect(route(c, 'anthropic/claude-3-5-haiku-latest')?.calls).toEqual([['anthropic', 'claude-3-5-haiku-latest']]);
  });

  it('multi-org: one deployment per organisation, env references resolved', () => {
    const r = route(config('multi-org.yaml'), 'gpt-4o')!;
    expect(r.calls).toEqual(Array(3).fill(['openai', 'gpt-4o']));
    expect(r.deployments.map((d) => d.organization)).toEqual(['org-1', 'org-2', 'org-3']);
  });

  it('model-specific params: request defaults, headers, timeouts, self-hosted base, custom_llm_provider', () => {
    const c = config('model-params.yaml');
    const writer = route(c, 'writer')!.deployments[0]!;
    expect(writer.requestDefaults).toEqual({ temperature: 0.2, max_tokens: 1024, seed: 7, stop: ['\n\n'] });
    expect(writer.params).toMatchObject({ extra_headers: { 'x-team': 'writers' }, drop_params: true });
    expect([writer.timeoutMs, writer.streamTimeoutMs]).toEqual([60_000, 15_000]);
    const vllm = route(c, 'vllm-model')!;
    expect(vllm.calls).toEqual([['openai', 'facebook/opt-125m']]);
    expect(vllm.deployments[0]).toMatchObject({
      id: 'vllm-1',
      baseModel: 'opt-125m',
      apiBase: 'http://127.0.0.1:8000/v1',
    });
    expect(route(c, 'mistral')?.calls).toEqual([['mistral', 'mistral-large-latest']]);
  });

  it('env references: keys, bases, versions, routing numbers and the master key', () => {
    const c = config('env-references.yaml');
    expect(route(c, 'azure-gpt')!.deployments[0]).toMatchObject({
      provider: 'azure',
      model: 'my-deployment',
      apiBase: 'https://from-env.openai.azure.com',
      apiKey: 'az',
      apiVersion: '2024-10-21',
      rpm: 600,
    });
    const bedrock = route(c, 'bedrock-claude')!;
    expect(bedrock.calls).toEqual([['bedrock', 'anthropic.claude-3-5-sonnet-20240620-v1:0']]);
    expect(bedrock.deployments[0]!.params).toMatchObject({ aws_region_name: 'eu-west-1' });
    expect(resolveMasterKey(c.masterKeySetting, ENV)).toEqual({ value: ENV.LITELLM_MASTER_KEY, source: 'config' });
  });

  it('router and litellm settings: loads, and names what it does not act on', () => {
    const doc = load('router-and-litellm-settings.yaml');
    expect(route(config('router-and-litellm-settings.yaml'), 'gpt-4o')?.calls).toEqual([['openai', 'gpt-4o']]);
    expect(ignoredSettings(doc)).toEqual([
      'litellm_settings.request_timeout',
      'litellm_settings.cache',
      'litellm_settings.cache_params',
      'litellm_settings.success_callback',
      'litellm_settings.failure_callback',
      'litellm_settings.set_verbose',
      'general_settings.database_url',
      'general_settings.background_health_checks',
      'general_settings.health_check_interval',
    ]);
  });
});
