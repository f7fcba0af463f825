/**
 * A value that satisfies a JSON Schema, for the fake provider's tool-call arguments and structured outputs,
 * so SDK helpers (`parse`, `runTools`, `withStructuredOutput`, `generateObject`) work against the demo.
 * Covers what OpenAI's structured outputs allow: objects, arrays, scalars, enum/const, anyOf/oneOf/allOf,
 * nullable type lists, local `$ref`s (`#/$defs/...`, `#/definitions/...`), string formats and bounds.
 */
type Schema = Record<string, unknown>;

const MAX_DEPTH = 12;

export function exampleForSchema(schema: unknown, root: unknown = schema, depth = 0, name = 'value'): unknown {
  if (depth > MAX_DEPTH || schema === true || schema === undefined || schema === null) return null;
  if (typeof schema !== 'object') return null;
  const s = schema as Schema;
  if (typeof s['$ref'] === 'string') return exampleForSchema(resolveRef(root, s['$ref']), root, depth + 1, name);
  if ('const' in s) return s['const'];
  if (Array.isArray(s['enum']) && s['enum'].length > 0) return s['enum'][0];
  if ('default' in s && s['default'] !== undefined) return s['default'];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = s[key];
    if (Array.isArray(options) && options.length > 0) {
      // Prefer an option that is not null, as a client would want a real value.
      const real = options.find((o) => !(typeof o === 'object' && o !== null && (o as Schema)['type'] === 'null'));
      return exampleForSchema(real ?? options[0], root, depth + 1, name);
    }
  }
  if (Array.isArray(s['allOf']) && s['allOf'].length > 0) {
    const merged: Schema = {};
    for (const part of s['allOf']) {
      const p = (typeof part === 'object' && part !== null ? part : {}) as Schema;
      const target = typeof p['$ref'] === 'string' ? ((resolveRef(root, p['$ref']) as Schema | undefined) ?? {}) : p;
      Object.assign(merged, target, {
        properties: {
          ...(merged['properties'] as Schema | undefined),
          ...(target['properties'] as Schema | undefined),
        },
        required: [...((merged['required'] as string[]) ?? []), ...((target['required'] as string[]) ?? [])],
      });
    }
    return exampleForSchema(merged, root, depth + 1, name);
  }
  let type = s['type'];
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? type[0];
  if (type === undefined)
    type = s['properties'] !== undefined ? 'object' : s['items'] !== undefined ? 'array' : 'string';
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = (s['properties'] ?? {}) as Schema;
      for (const [key, sub] of Object.entries(props)) out[key] = exampleForSchema(sub, root, depth + 1, key);
      return out;
    }
    case 'array': {
      const min = typeof s['minItems'] === 'number' ? s['minItems'] : 1;
      const count = Math.min(Math.max(min, 1), typeof s['maxItems'] === 'number' ? s['maxItems'] : 1, 3);
      const items = Array.isArray(s['prefixItems']) ? s['prefixItems'] : undefined;
      if (items) return items.map((it, i) => exampleForSchema(it, root, depth + 1, `${name}${i}`));
      return Array.from({ length: Math.max(count, min) }, () => exampleForSchema(s['items'], root, depth + 1, name));
    }
    case 'integer':
    case 'number': {
      const min = typeof s['minimum'] === 'number' ? s['minimum'] : undefined;
      const exMin = typeof s['exclusiveMinimum'] === 'number' ? s['exclusiveMinimum'] + 1 : undefined;
      const max = typeof s['maximum'] === 'number' ? s['maximum'] : undefined;
      let n = min ?? exMin ?? (max !== undefined ? Math.min(max, 1) : 1);
      if (type === 'integer') n = Math.ceil(n);
      return n;
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return exampleString(s, name);
  }
}

function exampleString(s: Schema, name: string): string {
  switch (s['format']) {
    case 'date-time':
      return '2025-01-01T00:00:00Z';
    case 'date':
      return '2025-01-01';
    case 'time':
      return '00:00:00';
    case 'email':
      return 'fake@example.com';
    case 'uri':
    case 'url':
      return 'https://example.com/';
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000';
  }
  let text = `fake ${name}`;
  const min = typeof s['minLength'] === 'number' ? s['minLength'] : 0;
  const max = typeof s['maxLength'] === 'number' ? s['maxLength'] : undefined;
  while (text.length < min) text += 'x';
  if (max !== undefined) text = text.slice(0, max);
  return text;
}

function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Schema)[part];
  }
  return node;
}
