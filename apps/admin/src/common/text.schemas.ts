import { z } from 'zod';

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

/** The path (below the value) of the first NUL in a JSON value's keys or strings, or undefined. */
export function findNul(value: unknown, path: (string | number)[] = []): (string | number)[] | undefined {
  if (typeof value === 'string') return value.includes(NUL) ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], [...path, i]);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      // A bad key is named by its parent: echoing the NUL back in `param` helps no one.
      if (k.includes(NUL)) return path;
      const found = findNul(v, [...path, k]);
      if (found) return found;
    }
  }
  return undefined;
}

/** A JSON object of free-form metadata; no NUL anywhere in its keys or string values. */
export const MetadataSchema = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const path = findNul(value);
  if (path) ctx.addIssue({ code: 'custom', message: `${NUL_MESSAGE} (in a key or string value)`, path });
});
