import { describe, expect, it } from 'vitest';
import { buildConfig, buildRoutingConfig } from './load-config';

const doc = (providerRoutes: unknown, more: object[] = []) => ({
  model_list: [
    {
      model_name: 'gpt-4o',
      litellm_params: { model: 'openai/gpt-4o', api_key: 'sk-config', api_base: 'http://127.0.0.1:9/v1', weight: 3 },
    },
    { model_name: 'demo', litellm_params: { model: 'fake/demo' } },
    ...more,
  ],
  router_settings: { provider_routes: providerRoutes },
});

describe('router_settings.provider_routes (plain provider/model names)', () => {
  it('true: a provider/* route for every provider the config calls, with its first entry’s key and base', () => {
    const routing = buildRoutingConfig(doc(true), {});
    expect([...routing.groups.keys()]).toEqual(['gpt-4o', 'demo', 'openai/*']);
    const translator = buildConfig(doc(true), {});
    expect(translator.deployments.map((d) => d.id)).toEqual(routing.deployments.map((d) => d.id));
    expect(translator.groups.get('openai/*')![0]).toMatchObject({
      id: 'provider-route:openai',
      provider: 'openai',
      model: '*',
      apiKey: 'sk-config',
      apiBase: 'http://127.0.0.1:9/v1',
      weight: 1,
    });
  });

  it('a list names the providers; one the config does not call takes its key from the environment', () => {
    const translator = buildConfig(doc(['anthropic']), { ANTHROPIC_API_KEY: 'sk-ant-env' });
    expect([...translator.groups.keys()]).toEqual(['gpt-4o', 'demo', 'anthropic/*']);
    expect(translator.groups.get('anthropic/*')![0]!.apiKey).toBe('sk-ant-env');
    // The routing view needs no provider variable, and agrees on the ids.
    expect(buildRoutingConfig(doc(['anthropic']), {}).deployments.map((d) => d.id)).toEqual(
      translator.deployments.map((d) => d.id),
    );
  });

  it("never replaces the config's own provider/* group, and is off by default", () => {
    const own = { model_name: 'openai/*', litellm_params: { model: 'openai/*', api_key: 'sk-own' } };
    const groups = buildRoutingConfig(doc(true, [own]), {}).groups;
    expect(groups.get('openai/*')).toHaveLength(1);
    expect(groups.get('openai/*')![0]!.id).not.toBe('provider-route:openai');
    expect([...buildRoutingConfig(doc(undefined), {}).groups.keys()]).toEqual(['gpt-4o', 'demo']);
    expect(() => buildRoutingConfig(doc(['Not A Provider']), {})).toThrow(/provider_routes/);
  });
});
