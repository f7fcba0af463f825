import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildConfig } from './load-config';
import { ignoredSettings, ignoredSettingsWarning, LITELLM_SETTINGS, litellmSettingsTable } from './litellm-settings';
import { parseLitellmYaml } from './litellm-yaml';

/** The rows of a markdown table as trimmed cells, whatever the column padding prettier gave them. */
function rows(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((l) => l.trim().startsWith('|'))
    .map((l) =>
      l
        .trim()
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    )
    .filter((cells) => !cells.every((c) => /^-+$/.test(c)));
}

const config = `
model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_key: sk-x, rpm: 600, tpm: 20_000 }
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_key: sk-y, rpm: 100 }
router_settings:
  routing_strategy: provider-budget-routing
  model_group_alias: { gpt-4: gpt-4o }
  fallbacks: [{ gpt-4o: [gpt-4o-mini] }]
  num_retries: 2
  timeout: 30
  redis_host: localhost
litellm_settings:
  drop_params: yes
  success_callback: [langfuse]
  cache: on
general_settings:
  master_key: sk-1234
  database_url: postgres://somewhere
  my_own_setting: 1
`;

describe('LiteLLM settings table', () => {
  it('is the README table, row for row', () => {
    const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
    const section = /<!-- litellm-settings:start -->([\s\S]*?)<!-- litellm-settings:end -->/.exec(readme)?.[1];
    expect(section, 'README.md has the litellm-settings markers').toBeDefined();
    expect(
      rows(section!),
      `README.md's "LiteLLM settings" table differs from libs/config/src/litellm-settings.ts; replace it with:\n${litellmSettingsTable()}\n`,
    ).toEqual(rows(litellmSettingsTable()));
  });

  it('names each setting once', () => {
    const paths = LITELLM_SETTINGS.map((s) => s.path);
    expect(paths.length).toBe(new Set(paths).size);
  });

  it('names every ignored setting a config uses, once, with the keys it does not know', () => {
    expect(ignoredSettings(parseLitellmYaml(config))).toEqual([
      'router_settings.routing_strategy: provider-budget-routing',
      'router_settings.redis_host',
      'litellm_settings.cache',
      'litellm_settings.success_callback',
      'general_settings.database_url',
      'general_settings.my_own_setting (not a setting Switchyard knows)',
    ]);
  });

  it('says nothing when every setting present is acted on', () => {
    const doc = parseLitellmYaml(`
model_list:
  - model_name: m
    litellm_params: { model: openai/m, api_key: k, weight: 2, temperature: 0.2 }
router_settings: { routing_strategy: simple-shuffle, timeout: 30, model_group_alias: { a: m } }
general_settings: { master_key: sk-1234 }
`);
    expect(ignoredSettings(doc)).toEqual([]);
    expect(ignoredSettingsWarning(doc)).toBeUndefined();
  });

  it('is warned once when the translator loads the config', () => {
    const warnings: string[] = [];
    buildConfig(parseLitellmYaml(config), {}, { warn: (m) => warnings.push(m) });
    const ignored = warnings.filter((w) => w.startsWith('ignored: '));
    expect(ignored).toHaveLength(1);
    expect(ignored[0]).toContain('router_settings.redis_host');
    expect(ignored[0]).toContain('litellm_settings.success_callback');
    expect(ignored[0]).not.toContain('general_settings.master_key');
    expect(ignored[0]).not.toContain('sk-1234');
  });
});
