import { z } from 'zod';
import type { LimitInput, LimitScope } from '@switchyard/db';

const count = (max: number) => z.number().int('must be a whole number').min(0, 'must be ≥ 0').max(max);

/** Rate limits every level takes (LiteLLM's names); null removes a limit. */
export const LimitFieldsSchema = {
  /** Requests per minute, over a sliding minute, across every gateway instance. */
  rpm_limit: count(100_000_000).nullable().optional(),
  /** Tokens per minute (prompt estimate plus max_tokens at admission, corrected to real usage). */
  tpm_limit: count(Number.MAX_SAFE_INTEGER).nullable().optional(),
  /** Requests running at once. */
  max_parallel_requests: count(1_000_000).nullable().optional(),
};

/** Per-model limits on a key: {"<model>": <per minute>}. */
export const ModelLimitMapSchema = z
  .record(z.string().min(1).max(256), count(100_000_000))
  .refine((m) => Object.keys(m).length <= 1000, 'at most 1000 models');

export function limitInputOf(input: {
  rpm_limit?: number | null;
  tpm_limit?: number | null;
  max_parallel_requests?: number | null;
}): LimitInput {
  return {
    ...(input.rpm_limit !== undefined && { rpmLimit: input.rpm_limit }),
    ...(input.tpm_limit !== undefined && { tpmLimit: input.tpm_limit }),
    ...(input.max_parallel_requests !== undefined && { maxParallelRequests: input.max_parallel_requests }),
  };
}

export const LimitsJsonSchema = {
  rpm_limit: z.number().nullable(),
  tpm_limit: z.number().nullable(),
  max_parallel_requests: z.number().nullable(),
};

export function limitsJson(s: LimitScope): {
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
} {
  return { rpm_limit: s.rpmLimit, tpm_limit: s.tpmLimit, max_parallel_requests: s.maxParallelRequests };
}
