import { randomBytes } from 'node:crypto';
import { exampleForSchema } from '@switchyard/providers';
import { fakeAnswerPieces } from '../fake-openai.server';
import { FakeRefusal } from './fake-embeddings';

/** Every member of OpenAI's `POST /v1/responses` (ResponseCreateParams of the official SDK). */
const MEMBERS = new Set([
  'background',
  'context_management',
  'conversation',
  'include',
  'input',
  'instructions',
  'max_output_tokens',
  'metadata',
  'model',
  'moderation',
  'parallel_tool_calls',
  'previous_response_id',
  'prompt',
  'prompt_cache_key',
  'prompt_cache_options',
  'prompt_cache_retention',
  'reasoning',
  'safety_identifier',
  'service_tier',
  'store',
  'stream',
  'stream_options',
  'temperature',
  'text',
  'tool_choice',
  'tools',
  'top_logprobs',
  'top_p',
  'truncation',
  'user',
]);

const TOOL_TYPES = new Set(['function', 'web_search', 'web_search_preview', 'file_search', 'code_interpreter']);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const invalid = (message: string, param: string | null, code: string | null = null): FakeRefusal =>
  new FakeRefusal(400, { error: { message, type: 'invalid_request_error', param, code } });

/** The fake's text for the reasoning a `*reason*` model reports when asked for reasoning.summary. */
export const FAKE_RESPONSES_REASONING = 'Thinking it over.';

function checkInput(input: unknown): Json[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  if (!Array.isArray(input)) throw invalid("Invalid type for 'input': expected a string or an array.", 'input');
  const calls = new Set<string>();
  return input.map((item: unknown, i) => {
    const where = `input[${i}]`;
    if (!isObject(item)) throw invalid(`Invalid type for '${where}': expected an object.`, where);
    const type = item['type'] ?? 'message';
    if (type === 'message') {
      if (!['user', 'assistant', 'system', 'developer'].includes(String(item['role'])))
        throw invalid(`Invalid value for '${where}.role'.`, `${where}.role`);
      const c = item['content'];
      if (typeof c !== 'string' && !Array.isArray(c))
        throw invalid(`Invalid type for '${where}.content'.`, `${where}.content`);
      if (Array.isArray(c)) {
        for (const [j, p] of c.entries()) {
          const t = isObject(p) ? p['type'] : undefined;
          const ok =
            item['role'] === 'assistant'
              ? t === 'output_text' || t === 'refusal'
              : t === 'input_text' || t === 'input_image' || t === 'input_file';
          if (!ok)
            throw invalid(
              `Invalid value for '${where}.content[${j}].type': ${JSON.stringify(t)}.`,
              `${where}.content[${j}].type`,
            );
        }
      }
    } else if (type === 'function_call') {
      if (
        typeof item['call_id'] !== 'string' ||
        typeof item['name'] !== 'string' ||
        typeof item['arguments'] !== 'string'
      )
        throw invalid(`Missing required parameter: '${where}.call_id', 'name' or 'arguments'.`, where);
      calls.add(item['call_id']);
    } else if (type === 'function_call_output') {
      if (typeof item['call_id'] !== 'string' || !calls.has(item['call_id']))
        throw invalid(`No tool call found for function call output with call_id ${String(item['call_id'])}.`, 'input');
    } else if (type !== 'reasoning') {
      throw invalid(`Invalid value for '${where}.type': ${JSON.stringify(type)}.`, `${where}.type`);
    }
    return item;
  });
}

function textOf(item: Json | undefined): string {
  const c = item?.['content'] ?? item?.['output'];
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((p) => (isObject(p) && typeof p['text'] === 'string' ? p['text'] : '')).join('');
  return '';
}

/**
 * OpenAI's `POST /v1/responses`, as strict as the real one about its request: model and input required,
 * unknown members refused ("Unknown parameter"), input items checked (roles, content part types by role, a
 * function_call_output must answer a function_call before it), tools of known types, `stream_options` only
 * with `stream`, `previous_response_id` refused (this fake stores nothing). The answer:
 * - with function tools (tool_choice not "none") and a user message last: a function_call of the first tool
 *   (or the one tool_choice names) with arguments from its schema;
 * - after a function_call_output: "The tool returned: <its output>.";
 * - with text.format json_schema: an example of the schema, as JSON text;
 * - else the fake's pieces ("Hello from the fake OpenAI server." cut to `chunks`);
 * - `reasoning.summary` on a `*reason*` model: a reasoning item with FAKE_RESPONSES_REASONING as its summary;
 * - max_output_tokens (at least 16, as OpenAI requires) below the piece count: status "incomplete" (reason
 *   max_output_tokens), text cut to that many pieces.
 * Usage: input_tokens = ceil(input text characters / 4), output_tokens = pieces (4 more with reasoning,
 * counted as reasoning_tokens). Model `fake-400` answers 400; `fake-stream-error` streams one delta then an
 * `error` event and `response.failed`; `fake-drop` streams one delta then cuts the connection (the server does).
 * A stream is OpenAI's exact event sequence with sequence_numbers from 0.
 */
export function openAIResponsesAnswer(
  body: unknown,
  chunks: number,
): { json: unknown } | { events: string[]; cut?: boolean } {
  if (!isObject(body)) throw invalid('We could not parse the JSON body of your request.', null);
  for (const k of Object.keys(body))
    if (!MEMBERS.has(k)) throw invalid(`Unknown parameter: '${k}'.`, k, 'unknown_parameter');
  if (typeof body['model'] !== 'string')
    throw invalid("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  if (body['input'] === undefined)
    throw invalid("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  if (body['previous_response_id'] !== undefined && body['previous_response_id'] !== null)
    throw invalid(
      `Previous response with id '${String(body['previous_response_id'])}' not found.`,
      'previous_response_id',
      'previous_response_not_found',
    );
  if (body['stream_options'] !== undefined && body['stream'] !== true)
    throw invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
  const mot = body['max_output_tokens'];
  if (mot !== undefined && mot !== null && (typeof mot !== 'number' || !Number.isInteger(mot) || mot < 16))
    throw invalid(
      `Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got ${String(mot)} instead.`,
      'max_output_tokens',
      'integer_below_min_value',
    );
  const model = body['model'];
  if (model === 'fake-400') throw invalid("Invalid value for 'input' (fake-400).", 'input', 'invalid_value');
  const items = checkInput(body['input']);
  const tools = body['tools'] === undefined ? [] : body['tools'];
  if (!Array.isArray(tools)) throw invalid("Invalid type for 'tools': expected an array.", 'tools');
  for (const [i, t] of tools.entries()) {
    if (!isObject(t) || !TOOL_TYPES.has(String(t['type'])))
      throw invalid(`Invalid value for 'tools[${i}].type'.`, `tools[${i}].type`);
    if (t['type'] === 'function' && typeof t['name'] !== 'string')
      throw invalid(`Missing required parameter: 'tools[${i}].name'.`, `tools[${i}].name`);
  }
  const reasoning = isObject(body['reasoning']) ? body['reasoning'] : undefined;
  if (reasoning !== undefined && !model.includes('reason'))
    throw invalid(
      "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
      'reasoning.effort',
      'unsupported_parameter',
    );

  const stream = body['stream'] === true;
  const id = `resp_fake${randomBytes(8).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  const chars = items.reduce(
    (n, it) => n + textOf(it).length,
    typeof body['instructions'] === 'string' ? body['instructions'].length : 0,
  );
  const inputTokens = Math.ceil(chars / 4);
  const last = items.at(-1);
  const fnTools = tools.filter((t) => isObject(t) && t['type'] === 'function') as Json[];
  const format = isObject(body['text']) && isObject(body['text']['format']) ? body['text']['format'] : undefined;

  type Out =
    { kind: 'text'; text: string; pieces: string[] } | { kind: 'call'; name: string; args: string; callId: string };
  let out: Out;
  if (last?.['type'] === 'function_call_output') {
    const t = `The tool returned: ${textOf(last)}.`;
    out = { kind: 'text', text: t, pieces: t.split(/(?<= )/) };
  } else if (fnTools.length > 0 && body['tool_choice'] !== 'none' && (last?.['type'] ?? 'message') === 'message') {
    const choice = body['tool_choice'];
    const named = isObject(choice) ? choice['name'] : undefined;
    const tool = fnTools.find((t) => named === undefined || t['name'] === named) ?? fnTools[0]!;
    const args =
      exampleForSchema((isObject(tool['parameters']) ? tool['parameters'] : { type: 'object' }) as Json) ?? {};
    out = {
      kind: 'call',
      name: String(tool['name']),
      args: JSON.stringify(args),
      callId: `call_${randomBytes(8).toString('hex')}`,
    };
  } else if (format?.['type'] === 'json_schema') {
    const t = JSON.stringify(exampleForSchema((format['schema'] ?? { type: 'object' }) as Json) ?? {});
    out = { kind: 'text', text: t, pieces: [t] };
  } else {
    const pieces = fakeAnswerPieces(chunks);
    out = { kind: 'text', text: pieces.join(''), pieces };
  }
  const limit = typeof body['max_output_tokens'] === 'number' ? body['max_output_tokens'] : undefined;
  const incomplete = out.kind === 'text' && limit !== undefined && limit < out.pieces.length;
  if (incomplete && out.kind === 'text') {
    out.pieces = out.pieces.slice(0, limit);
    out.text = out.pieces.join('');
  }
  const summary = reasoning !== undefined && typeof reasoning['summary'] === 'string';
  const reasoningTokens = reasoning !== undefined ? 4 : 0;
  const outputTokens = (out.kind === 'text' ? out.pieces.length : 1) + reasoningTokens;
  const usage = {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: reasoningTokens },
    total_tokens: inputTokens + outputTokens,
  };
  const rsItem = {
    id: `rs_${id.slice(5)}`,
    type: 'reasoning',
    summary: summary ? [{ type: 'summary_text', text: FAKE_RESPONSES_REASONING }] : [],
  };
  const msgId = `msg_${id.slice(5)}`;
  const part = (text: string) => ({ type: 'output_text', annotations: [], logprobs: [], text });
  const status = incomplete ? 'incomplete' : 'completed';
  const finalItem =
    out.kind === 'text'
      ? { id: msgId, type: 'message', status, content: [part(out.text)], role: 'assistant' }
      : {
          id: `fc_${id.slice(5)}`,
          type: 'function_call',
          status: 'completed',
          arguments: out.args,
          call_id: out.callId,
          name: out.name,
        };
  const shell = (s: string) => ({
    id,
    object: 'response',
    created_at: created,
    status: s,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body['instructions'] ?? null,
    max_output_tokens: limit ?? null,
    model,
    output: [] as unknown[],
    parallel_tool_calls: body['parallel_tool_calls'] !== false,
    previous_response_id: null,
    reasoning: { effort: reasoning?.['effort'] ?? null, summary: reasoning?.['summary'] ?? null },
    service_tier: 'default',
    store: body['store'] !== false,
    temperature: body['temperature'] ?? 1,
    text: { format: format ?? { type: 'text' } },
    tool_choice: body['tool_choice'] ?? 'auto',
    tools,
    top_p: body['top_p'] ?? 1,
    truncation: 'disabled',
    usage: null as unknown,
    user: body['user'] ?? null,
    metadata: body['metadata'] ?? {},
  });
  const output = [...(reasoning !== undefined ? [rsItem] : []), finalItem];
  const whole = {
    ...shell(status),
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    output,
    usage,
  };
  if (!stream) return { json: whole };

  const events: string[] = [];
  let seq = 0;
  const ev = (type: string, data: Json) =>
    events.push(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
  ev('response.created', { response: shell('in_progress') });
  ev('response.in_progress', { response: shell('in_progress') });
  let index = 0;
  if (reasoning !== undefined) {
    ev('response.output_item.added', { output_index: index, item: { ...rsItem, summary: [] } });
    if (summary) {
      const p = { item_id: rsItem.id, output_index: index, summary_index: 0 };
      ev('response.reasoning_summary_part.added', { ...p, part: { type: 'summary_text', text: '' } });
      ev('response.reasoning_summary_text.delta', { ...p, delta: FAKE_RESPONSES_REASONING });
      ev('response.reasoning_summary_text.done', { ...p, text: FAKE_RESPONSES_REASONING });
      ev('response.reasoning_summary_part.done', {
        ...p,
        part: { type: 'summary_text', text: FAKE_RESPONSES_REASONING },
      });
    }
    ev('response.output_item.done', { output_index: index, item: rsItem });
    index++;
  }
  if (out.kind === 'text') {
    ev('response.output_item.added', {
      output_index: index,
      item: { id: msgId, type: 'message', status: 'in_progress', content: [], role: 'assistant' },
    });
    const p = { item_id: msgId, output_index: index, content_index: 0 };
    ev('response.content_part.added', { ...p, part: part('') });
    for (const [i, piece] of out.pieces.entries()) {
      ev('response.output_text.delta', { ...p, delta: piece, logprobs: [] });
      if (i === 0 && (model === 'fake-stream-error' || model === 'fake-drop')) {
        if (model === 'fake-drop') return { events, cut: true };
        ev('error', {
          code: 'server_error',
          message: 'The server had an error while processing your request (fake-stream-error).',
          param: null,
        });
        ev('response.failed', {
          response: {
            ...shell('failed'),
            error: { code: 'server_error', message: 'The server had an error (fake-stream-error).' },
          },
        });
        return { events };
      }
    }
    ev('response.output_text.done', { ...p, text: out.text, logprobs: [] });
    ev('response.content_part.done', { ...p, part: part(out.text) });
  } else {
    const fcId = (finalItem as { id: string }).id;
    ev('response.output_item.added', {
      output_index: index,
      item: { ...finalItem, status: 'in_progress', arguments: '' },
    });
    const half = Math.ceil(out.args.length / 2);
    for (const piece of [out.args.slice(0, half), out.args.slice(half)])
      if (piece.length > 0)
        ev('response.function_call_arguments.delta', { item_id: fcId, output_index: index, delta: piece });
    ev('response.function_call_arguments.done', {
      item_id: fcId,
      output_index: index,
      name: out.name,
      arguments: out.args,
    });
  }
  ev('response.output_item.done', { output_index: index, item: finalItem });
  ev(incomplete ? 'response.incomplete' : 'response.completed', { response: whole });
  return { events };
}
