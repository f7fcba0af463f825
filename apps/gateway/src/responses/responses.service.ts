import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ENV, type Env } from '@switchyard/config';
import { Errors, type GatewayError } from '@switchyard/contracts';
import { StoredResponsesRepository } from '@switchyard/db';
import { AuthService, type Principal } from '../auth/auth.service';
import { openAIResponsesCodec } from '../codecs/openai-responses.codec';
import { sendError } from '../http/send-error';
import { AdmissionService } from '../pipeline/admission.service';
import { RequestPipeline } from '../pipeline/request-pipeline.service';
import { ResponsesTap } from './responses-tap';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whose stored responses a caller sees: its team's, else its key's own (a key without a team), else the master key's. */
export function ownerOf(p: Principal): string {
  if (p.teamId !== null) return `team:${p.teamId}`;
  if (p.keyId !== null) return `key:${p.keyId}`;
  return 'master';
}

/** A request's `input` as items (a string is one user message). */
export function inputItems(input: unknown): unknown[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  return Array.isArray(input) ? input : [];
}

/**
 * A stored response's output as input items of the next turn: its messages (assistant text) and function
 * calls, without the ids and statuses of the provider that wrote them (another provider may continue).
 * Reasoning items are left out: they are one model's private state, which no other model can read.
 */
export function outputAsInput(output: unknown): unknown[] {
  if (!Array.isArray(output)) return [];
  const items: unknown[] = [];
  for (const o of output) {
    if (!isObject(o)) continue;
    if (o['type'] === 'message') {
      const content = Array.isArray(o['content']) ? o['content'] : [];
      items.push({
        type: 'message',
        role: 'assistant',
        content: content
          .filter((p) => isObject(p) && (p['type'] === 'output_text' || p['type'] === 'refusal'))
          .map((p) => {
            const part = p as Json;
            return part['type'] === 'refusal'
              ? { type: 'refusal', refusal: part['refusal'] }
              : { type: 'output_text', text: part['text'], annotations: [] };
          }),
      });
    } else if (o['type'] === 'function_call') {
      items.push({ type: 'function_call', call_id: o['call_id'], name: o['name'], arguments: o['arguments'] });
    }
  }
  return items;
}

/**
 * The Responses API's own steps around the shared pipeline: `previous_response_id` becomes the stored
 * conversation in `input` (before admission, so limits see the whole prompt), and a stored request's
 * response is kept, scoped to the caller (ownerOf), for SWITCHYARD_RESPONSES_TTL_HOURS. GET, DELETE,
 * input_items and cancel answer from the stored copy, whichever provider wrote it.
 */
@Injectable()
export class ResponsesService {
  private readonly logger = new Logger('Responses');
  private readonly ttlMs: number;

  constructor(
    @Inject(RequestPipeline) private readonly pipeline: RequestPipeline,
    @Inject(AdmissionService) private readonly admission: AdmissionService,
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(StoredResponsesRepository) private readonly stored: StoredResponsesRepository,
    @Inject(ENV) env: Env,
  ) {
    this.ttlMs = env.SWITCHYARD_RESPONSES_TTL_HOURS * 3_600_000;
  }

  async create(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const body = req.body;
    if (isObject(body) && typeof body['previous_response_id'] === 'string') {
      const refusal = await this.expand(req, body, body['previous_response_id']);
      if (refusal !== undefined) {
        reply.header('x-request-id', this.pipeline.recordRejection(req, refusal));
        return sendError(reply, refusal, openAIResponsesCodec);
      }
    }
    const b = isObject(req.body) ? req.body : {};
    const store = b['store'] !== false;
    const input = inputItems(b['input']);
    return this.pipeline.handle(
      req,
      reply,
      openAIResponsesCodec,
      (principal) => new ResponsesTap(store ? (r) => this.keep(r, principal, input) : undefined),
    );
  }

  /**
   * Replaces previous_response_id by the conversation it names: the stored response's input and output,
   * then the request's own input. A caller that cannot be authenticated is left to admission (its 401).
   */
  private async expand(req: FastifyRequest, body: Json, id: string): Promise<GatewayError | undefined> {
    const input = body['input'];
    if (typeof input !== 'string' && !Array.isArray(input)) return undefined; // validation answers it
    const principal = await this.admission.principalOf(req);
    if (principal === undefined) return undefined;
    const prev = await this.stored.find(id, ownerOf(principal));
    if (prev === undefined)
      return Errors.invalidRequest(
        `Previous response with id '${id}' not found.`,
        'previous_response_id',
        'previous_response_not_found',
      );
    const expanded = {
      ...body,
      input: [...prev.input, ...outputAsInput(prev.response['output']), ...inputItems(input)],
    };
    req.body = expanded;
    (req as FastifyRequest & { rawBody?: Buffer }).rawBody = Buffer.from(JSON.stringify(expanded), 'utf8');
    return undefined;
  }

  /** Keeps a finished response; a failure to store is logged, and the answer still goes out. */
  private async keep(response: Json, principal: Principal, input: unknown[]): Promise<void> {
    const id = response['id'];
    if (typeof id !== 'string' || id.length === 0) return;
    try {
      await this.stored.insert({
        id,
        owner: ownerOf(principal),
        input,
        response,
        expiresAt: new Date(Date.now() + this.ttlMs),
      });
    } catch (e) {
      this.logger.error(
        `response ${id}: could not be stored (${(e as Error).message}); it cannot be retrieved or continued`,
      );
    }
  }

  async get(req: FastifyRequest, reply: FastifyReply, id: string): Promise<void> {
    const found = await this.find(req, reply, id);
    if (found !== undefined) void reply.code(200).header('content-type', 'application/json').send(found.response);
  }

  async inputItems(req: FastifyRequest, reply: FastifyReply, id: string): Promise<void> {
    const found = await this.find(req, reply, id);
    if (found === undefined) return;
    const q = (req.query ?? {}) as Record<string, string | undefined>;
    const order = q['order'] ?? 'desc';
    if (order !== 'asc' && order !== 'desc')
      return sendError(
        reply,
        Errors.invalidRequest("Invalid value for 'order': expected 'asc' or 'desc'.", 'order', 'invalid_value'),
        openAIResponsesCodec,
      );
    const limit = q['limit'] === undefined ? 20 : Number(q['limit']);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      return sendError(
        reply,
        Errors.invalidRequest("Invalid 'limit': expected an integer from 1 to 100.", 'limit', 'invalid_value'),
        openAIResponsesCodec,
      );
    const items = found.input.map((item, i) => ({
      id: `in_${found.id.replace(/^resp_/, '')}_${i}`,
      ...(isObject(item) ? item : {}),
    }));
    if (order === 'desc') items.reverse();
    const data = items.slice(0, limit);
    void reply.code(200).send({
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: items.length > limit,
    });
  }

  async delete(req: FastifyRequest, reply: FastifyReply, id: string): Promise<void> {
    const principal = await this.principal(req, reply);
    if (principal === undefined) return;
    if (!(await this.stored.delete(id, ownerOf(principal))))
      return sendError(reply, notFound(id), openAIResponsesCodec);
    void reply.code(200).send({ id, object: 'response', deleted: true });
  }

  /** Every response here ran in the foreground (background is refused), so none can be cancelled. */
  async cancel(req: FastifyRequest, reply: FastifyReply, id: string): Promise<void> {
    const found = await this.find(req, reply, id);
    if (found === undefined) return;
    sendError(reply, Errors.invalidRequest('Cannot cancel a synchronous response.', null, null), openAIResponsesCodec);
  }

  private async find(req: FastifyRequest, reply: FastifyReply, id: string) {
    const principal = await this.principal(req, reply);
    if (principal === undefined) return undefined;
    const found = await this.stored.find(id, ownerOf(principal));
    if (found === undefined) sendError(reply, notFound(id), openAIResponsesCodec);
    return found;
  }

  private async principal(req: FastifyRequest, reply: FastifyReply): Promise<Principal | undefined> {
    const auth = await this.auth.authenticate(req.headers, req.ip);
    if (!auth.ok) {
      sendError(reply, auth.error, openAIResponsesCodec);
      return undefined;
    }
    return auth.principal;
  }
}

function notFound(id: string): GatewayError {
  return { ...Errors.notFound(`Response with id '${id}' not found.`), param: null, code: null };
}
