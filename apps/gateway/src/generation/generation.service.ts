import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ANALYTICS_DATABASE,
  CLICKHOUSE,
  findUsageRecord,
  type ClickHouseClient,
  type StoredUsageRecord,
} from '@switchyard/analytics';
import { Errors, nanosToUsd } from '@switchyard/contracts';
import { AuthService } from '../auth/auth.service';
import { sendError } from '../http/send-error';

/** OpenRouter's generation record (GET /api/v1/generation), with Switchyard's exact cost and flags added. */
export interface GenerationJson {
  id: string;
  model: string;
  provider_name: string | null;
  /** USD; total_cost_nanos is exact. Includes earlier attempts a provider billed. */
  total_cost: number;
  total_cost_nanos: string;
  /** No price is known for (part of) this request: total_cost is short by that part. */
  unpriced: boolean;
  tokens_prompt: number;
  tokens_completion: number;
  native_tokens_prompt: number;
  native_tokens_completion: number;
  native_tokens_cached: number;
  native_tokens_reasoning: number;
  /** ms, the whole request in the gateway. */
  latency: number;
  /** ms, from the first token to the end (the whole latency for answers that were not streamed). */
  generation_time: number;
  streamed: boolean;
  cancelled: boolean;
  /** Why the answer ended, in OpenAI's words (`stop`, `length`, `tool_calls`, `content_filter`); null when it did not. */
  finish_reason: string | null;
  status: number;
  created_at: string;
}

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * GET /v1/generation?id=<request id>: a request's stored record, for the key that made it (the master key
 * sees every request). 404 until spend has recorded it, which is usually within a second of the answer.
 */
@Injectable()
export class GenerationService {
  private readonly logger = new Logger('Generation');

  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient,
    @Inject(ANALYTICS_DATABASE) private readonly database: string,
  ) {}

  async get(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const auth = await this.auth.authenticate(req.headers);
    if (!auth.ok) return sendError(reply, auth.error);
    const id = (req.query as Record<string, unknown> | undefined)?.['id'];
    if (typeof id !== 'string' || !REQUEST_ID.test(id))
      return sendError(
        reply,
        Errors.invalidRequest(
          'Give the request id as ?id=<id>: the x-request-id header of the answer (the `id` of a chat completion is not it).',
          'id',
        ),
      );
    let row: StoredUsageRecord | undefined;
    try {
      row = await findUsageRecord(this.clickhouse, this.database, id);
    } catch (e) {
      this.logger.error(`generation ${id}: ${(e as Error).message}`);
      return sendError(reply, Errors.unavailable('The usage store is unavailable. Retry in a moment.'));
    }
    // Another key's request is answered as one that does not exist: ids must not reveal other keys' traffic.
    if (!row || (auth.principal.kind !== 'master' && row.key_id !== auth.principal.keyId))
      return sendError(
        reply,
        Errors.notFound(
          `No generation with id ${id} for this key. Usage is recorded within seconds of the answer: retry shortly if it just finished.`,
        ),
      );
    void reply.send({ data: toGeneration(row) });
  }
}

export function toGeneration(r: StoredUsageRecord): GenerationJson {
  const ttft = r.ttft_ms === null ? null : Number(r.ttft_ms);
  const latency = Number(r.latency_ms);
  return {
    id: r.request_id,
    model: r.requested_model,
    provider_name: r.provider || null,
    total_cost: nanosToUsd(r.cost_nanos),
    total_cost_nanos: r.cost_nanos,
    unpriced: Number(r.unpriced) === 1,
    tokens_prompt: Number(r.prompt_tokens),
    tokens_completion: Number(r.completion_tokens),
    native_tokens_prompt: Number(r.prompt_tokens),
    native_tokens_completion: Number(r.completion_tokens),
    native_tokens_cached: Number(r.cached_tokens),
    native_tokens_reasoning: Number(r.reasoning_tokens),
    latency,
    generation_time: Number(r.stream) === 1 && ttft !== null ? Math.max(0, latency - ttft) : latency,
    streamed: Number(r.stream) === 1,
    cancelled: Number(r.status) === 499,
    finish_reason: r.finish_reason || null,
    status: Number(r.status),
    created_at: new Date(Number(r.ts) * 1000).toISOString(),
  };
}
