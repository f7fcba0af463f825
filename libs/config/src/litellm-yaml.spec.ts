import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildRoutingConfig } from './load-config';
import { parseLitellmYaml } from './litellm-yaml';

/** What PyYAML's safe_load (LiteLLM's loader) gives for each scalar, where YAML 1.2 reads it otherwise. */
const PYYAML: [string, unknown][] = [
  ['20_000', 20000],
  ['1_000.5', 1000.5],
  ['yes', true],
  ['Yes', true],
  ['NO', false],
  ['no', false],
  ['on', true],
  ['ON', true],
  ['off', false],
  ['Off', false],
  ['010', 8], // octal in YAML 1.1
  ['0b101', 5],
  ['1:20', 80], // base 60
  // PyYAML reads the single letters as strings (YAML 1.1's spec lists them as booleans).
  ['y', 'y'],
  ['n', 'n'],
  ['Y', 'Y'],
  // Quoted stays text.
  ['"20_000"', '20_000'],
  ["'yes'", 'yes'],
];

describe('parseLitellmYaml', () => {
  it.each(PYYAML)('reads %s as PyYAML does', (text, expected) => {
    expect(parseLitellmYaml(`v: ${text}`)).toEqual({ v: expected });
  });

  it('differs from YAML 1.2 where LiteLLM configs depend on it', () => {
    // What a YAML 1.2 reader gave before: the config was refused ("tpm: expected number").
    expect(parse('tpm: 20_000\nflag: yes')).toEqual({ tpm: '20_000', flag: 'yes' });
    expect(parseLitellmYaml('tpm: 20_000\nflag: yes')).toEqual({ tpm: 20000, flag: true });
  });

  it('keeps a key named n or y as a key, and the last of a repeated key', () => {
    expect(parseLitellmYaml('n: 1\ny: 2')).toEqual({ n: 1, y: 2 });
    expect(parseLitellmYaml('a: 1\na: 2')).toEqual({ a: 2 });
  });

  it('resolves merge keys', () => {
    expect(parseLitellmYaml('base: &b {rpm: 10}\nm:\n  <<: *b\n  tpm: 1_000')).toEqual({
      base: { rpm: 10 },
      m: { rpm: 10, tpm: 1000 },
    });
  });

  it('loads a LiteLLM example config with underscored limits', () => {
    const c = buildRoutingConfig(
      parseLitellmYaml(`
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      tpm: 20_000
      rpm: 1_000
`),
      {},
    );
    expect(c.deployments[0]).toMatchObject({ tpm: 20000, rpm: 1000 });
  });
});
