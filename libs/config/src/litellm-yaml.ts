import { parse, type ParseOptions, type DocumentOptions, type SchemaOptions, type ToJSOptions } from 'yaml';

/**
 * PyYAML's booleans (LiteLLM reads its config with `yaml.safe_load`): YAML 1.1's words without the
 * single letters. PyYAML reads `y` and `n` as strings, and a model_list key `n:` must not become `false`.
 */
const PY_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PY_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const BOOL_TAG = 'tag:yaml.org,2002:bool';

type Options = ParseOptions & DocumentOptions & SchemaOptions & ToJSOptions;

/**
 * How LiteLLM reads a config: YAML 1.1 (`20_000` is 20000, `yes`/`no`/`on`/`off` are booleans, `010` is
 * octal, `<<` merge keys), and a key written twice keeps its last value, as PyYAML does. One difference
 * is kept on purpose: PyYAML reads `1e-6` (an exponent without a dot) as a string; here it is the number
 * LiteLLM converts it to where it expects one.
 */
export const LITELLM_YAML_OPTIONS: Options = {
  version: '1.1',
  uniqueKeys: false,
  customTags: (tags) => [
    ...tags.filter((t) => typeof t === 'string' || t.tag !== BOOL_TAG),
    { tag: BOOL_TAG, default: true, test: PY_TRUE, resolve: () => true },
    { tag: BOOL_TAG, default: true, test: PY_FALSE, resolve: () => false },
  ],
};

/** Parses config text as LiteLLM's loader does. Throws the yaml package's error on invalid YAML. */
export function parseLitellmYaml(text: string): unknown {
  return parse(text, LITELLM_YAML_OPTIONS);
}
