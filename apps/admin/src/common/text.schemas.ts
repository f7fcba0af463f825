import { z } from 'zod';
import { tooDeepAt } from '@switchyard/contracts';

/** Postgres cannot store U+0000 in text or jsonb; reject it here as a 400 rather than fail at the insert. */
const NUL = '\u0000';
const NUL_MESSAGE = 'must not contain the NUL character (U+0000); remove it';

export function textSchema(min: number, max: number) {
  return z
    .string()
    .min(min)
    .max(max)
    .refine((s) => !s.includes(NUL), NUL_MESSAGE);
}

/**
 * The path (below the value) of the first NUL in a JSON value's keys or strings, or undefined. Iterative:
 * call it only on values whose depth is bounded (see MetadataSchema), as the paths it builds are that long.
 */
export function findNul(value: unknown, path: (string | number)[] = []): (string | number)[] | undefined {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path }];
  while (stack.length > 0) {
    const { value: v, path: at } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes(NUL)) return at;
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    const entries: [string | number, unknown][] = Array.isArray(v)
      ? v.map((x, i): [number, unknown] => [i, x])
      : Object.entries(v);
    // A bad key is named by its parent: echoing the NUL back in `param` helps no one.
    if (!Array.isArray(v) && entries.some(([k]) => (k as string).includes(NUL))) return at;
    // Pushed last to first, so entries are visited in order and the first NUL is the one named.
    for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i]![1], path: [...at, entries[i]![0]] });
  }
  return undefined;
}

/** Free-form JSON fields (metadata) nest at most this deep, counting the field's own object as 1. */
export const MAX_JSON_FIELD_DEPTH = 32;
/** ... and take at most this many characters as JSON. */
export const MAX_JSON_FIELD_CHARS = 64 * 1024;

/**
 * A JSON object of free-form metadata: bounded in depth and size (checked without recursion, so a hostile
 * nesting is a 400, not a stack overflow), and no NUL anywhere in its keys or string values.
 */
export const MetadataSchema = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const deep = tooDeepAt(value, MAX_JSON_FIELD_DEPTH);
  if (deep) {
    ctx.addIssue({
      code: 'custom',
      message: `nests deeper than ${MAX_JSON_FIELD_DEPTH} levels of objects and arrays; flatten it`,
    });
    return;
  }
  const chars = JSON.stringify(value).length;
  if (chars > MAX_JSON_FIELD_CHARS) {
    ctx.addIssue({
      code: 'custom',
      message: `is ${chars} characters as JSON, more than the ${MAX_JSON_FIELD_CHARS} allowed; keep large data elsewhere`,
    });
    return;
  }
  const path = findNul(value);
  if (path) ctx.addIssue({ code: 'custom', message: `${NUL_MESSAGE} (in a key or string value)`, path });
});
