import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chooseAutoRoute } from '@switchyard/routing';
import { buildRoutingConfig } from './load-config';

const models = `
model_list:
  - model_name: cheap
    litellm_params: { model: fake/cheap }
  - model_name: big
    litellm_params: { model: fake/big }
    model_info: { max_input_tokens: 1000, supports_vision: true, supports_reasoning: false }
`;
const load = (settings: string) => buildRoutingConfig(parse(`${models}router_settings:\n${settings}`), {});

describe('router_settings.auto_routes and enable_pre_call_checks', () => {
  it('compiles routes whose targets resolve, with their rules', () => {
    const c = load(`
  enable_pre_call_checks: true
  auto_routes:
    - model: auto
      rules:
        - { name: code, model: big, last_user_message_matches: "\\\\bdef\\\\b", ignore_case: true }
        - { model: cheap, max_prompt_tokens: 100, tools: false }
      default: big
`);
    expect(c.routerSettings.preCallChecks).toBe(true);
    const [route] = c.routerSettings.autoRoutes;
    expect(route).toMatchObject({ model: 'auto', default: 'big' });
    expect(route!.rules[1]).toEqual({ name: 'rule-2', model: 'cheap', maxPromptTokens: 100, tools: false });
    const facts = { promptTokens: 10, tools: false, images: false, tags: [], lastUserText: () => 'A DEF here' };
    expect(chooseAutoRoute(route!, facts)).toEqual({ model: 'big', rule: 'code' });
    expect(c.deployments[1]!.modelInfo).toEqual({ contextWindow: 1000, supports: { vision: true, reasoning: false } });
    expect(load('  timeout: 30').routerSettings).toMatchObject({ preCallChecks: false, autoRoutes: [] });
  });

  it.each([
    ['  auto_routes: [{ model: auto, default: nowhere }]', /"nowhere" is served by no model_list entry/],
    ['  auto_routes: [{ model: cheap, default: big }]', /already a model group or alias/],
    [
      '  auto_routes: [{ model: auto, default: big }, { model: auto, default: cheap }]',
      /the model "auto" has two auto routes/,
    ],
    [
      '  auto_routes: [{ model: auto, default: big, rules: [{ model: big, last_user_message_matches: "(a+)+$" }] }]',
      /rules\[0\]\.last_user_message_matches: .*exponential/,
    ],
    [
      '  auto_routes: [{ model: auto, default: big, rules: [{ model: big, min_prompt_tokens: 9, max_prompt_tokens: 1 }] }]',
      /never matches/,
    ],
    ['  auto_routes: [{ model: auto, default: big, rules: [{ model: big, when: {} }] }]', /when/],
  ])('refuses %s', (settings, message) => {
    expect(() => load(settings)).toThrow(message);
  });
});
