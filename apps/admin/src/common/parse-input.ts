import type { z } from 'zod';
import { Errors } from '@switchyard/contracts';
import { ApiException } from './api.exception';

/** Validates input with a zod schema; the first problem becomes a 400 naming the offending field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what = 'request body'): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  let param = issue.path.map(String).join('.') || null;
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    param = [...issue.path.map(String), issue.keys[0]].join('.');
    message = `Unknown field "${param}" in the ${what}. Remove it; see /docs for the accepted fields.`;
  } else if (param) {
    message = `Invalid ${param}: ${issue.message}.`;
  } else if (issue.code === 'invalid_type') {
    message = `The ${what} must be a JSON object.`;
  }
  throw new ApiException(Errors.invalidRequest(message, param));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
