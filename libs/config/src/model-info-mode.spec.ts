import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildConfig } from './load-config';

/** model_info.mode and model_group_alias `hidden`, as LiteLLM configs write them, reach the resolved config. */
const yaml = `
model_list:
  - model_name: gpt-4o
    litellm_params: { model: fake/gpt-4o }
  - model_name: text-embedding-3-small
    litellm_params: { model: fake/text-embedding-3-small }
    model_info: { mode: embedding }
router_settings:
  model_group_alias:
    gpt-4: gpt-4o
    legacy: { model: gpt-4o, hidden: true }
    shown: { model: gpt-4o, hidden: false }
`;

describe('model_info.mode and hidden aliases', () => {
  it('carries each deployment mode and the hidden aliases', () => {
    const c = buildConfig(parse(yaml), {});
    expect(c.deployments.map((d) => [d.modelName, d.mode])).toEqual([
      ['gpt-4o', undefined],
      ['text-embedding-3-small', 'embedding'],
    ]);
    expect(c.routerSettings.aliases).toEqual({ 'gpt-4': 'gpt-4o', legacy: 'gpt-4o', shown: 'gpt-4o' });
    expect(c.routerSettings.hiddenAliases).toEqual(['legacy']);
  });

  it('refuses a hidden flag that is not a boolean', () => {
    expect(() => buildConfig(parse(yaml.replace('hidden: true', 'hidden: "sometimes"')), {})).toThrow();
  });
});
