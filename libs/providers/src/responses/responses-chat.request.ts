import { Errors } from '@switchyard/contracts';
import type { ChatCompletionRequest, ChatContentPart, ChatMessage } from '../openai-types';
import { ProviderError } from '../provider-adapter';

/**
 * Members of a Responses request that translate to a chat request (or are answered by Switchyard itself:
 * `store`, `metadata` and `previous_response_id` are the gateway's, `background` only as false). Anything
 * else is refused with a 400 naming it when the deployment is not OpenAI's (an OpenAI deployment takes the
 * body as it is).
 */
const TRANSLATED_FIELDS = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'text',
  'reasoning',
  'max_output_tokens',
  'temperature',
  'top_p',
  'metadata',
  'user',
  'store',
  'stream',
  'parallel_tool_calls',
  'previous_response_id',
  'background',
]);

/** Built-in tools of OpenAI's Responses API: only OpenAI runs them. */
const BUILT_IN_TOOLS = new Set([
  'web_search',
  'web_search_preview',
  'web_search_preview_2025_03_11',
  'file_search',
  'code_interpreter',
  'computer_use_preview',
  'image_generation',
  'mcp',
  'local_shell',
  'shell',
  'custom',
  'apply_patch',
]);

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(message: string, param: string | null): ProviderError {
  return new ProviderError({ ...Errors.invalidRequest(message, param, 'invalid_value'), kind: 'bad_request' });
}

/** The refusal of a built-in tool for a deployment that is not OpenAI's. */
export function builtInToolRefusal(type: string, where: string): string {
  return `${where} is OpenAI's built-in tool ${JSON.stringify(type)}, which only OpenAI's Responses API runs; this model is served by another provider and takes function tools only.`;
}

/** One content part of an input message → a chat content part. */
function inputPart(p: unknown, where: string): ChatContentPart {
  if (!isObject(p)) throw bad(`${where} must be a content part.`, where);
  switch (p['type']) {
    case 'input_text':
    case 'output_text':
      if (typeof p['text'] !== 'string') throw bad(`${where}.text must be a string.`, `${where}.text`);
      return { type: 'text', text: p['text'] };
    case 'refusal':
      return { type: 'text', text: String(p['refusal'] ?? '') };
    case 'input_image': {
      if (typeof p['image_url'] !== 'string') {
        throw bad(
          `${where}: images must be given by image_url (a URL or a data URL) for this model; file_id needs OpenAI's file store.`,
          `${where}.image_url`,
        );
      }
      const detail = p['detail'];
      return {
        type: 'image_url',
        image_url: { url: p['image_url'], ...(typeof detail === 'string' && detail !== 'auto' && { detail }) },
      } as ChatContentPart;
    }
    case 'input_file':
      if (typeof p['file_data'] === 'string') {
        const name = typeof p['filename'] === 'string' ? { filename: p['filename'] } : {};
        return { type: 'file', file: { file_data: p['file_data'], ...name } } as ChatContentPart;
      }
      throw bad(`${where}: files must be given inline (file_data) for this model.`, where);
    default:
      throw bad(`${where}: content parts of type ${JSON.stringify(p['type'])} cannot be sent to this model.`, where);
  }
}

function contentOf(content: unknown, where: string): string | ChatContentPart[] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw bad(`${where} must be a string or an array of content parts.`, where);
  const parts = content.map((p: unknown, i) => inputPart(p, `${where}[${i}]`));
  // Text parts alone as one string: the shape every chat server takes.
  if (parts.every((p) => p.type === 'text')) return parts.map((p) => (p as { text: string }).text).join('\n');
  return parts;
}

/** A function_call_output's output (a string, or input_text / input_image parts) as a tool message's content. */
function toolOutput(output: unknown, where: string): string | ChatContentPart[] {
  if (typeof output === 'string') return output;
  return contentOf(output, where);
}

/**
 * Input items → chat messages. Messages keep their role (`developer` becomes `system`); a `function_call`
 * joins the assistant message before it (or starts one), so consecutive calls are one turn's tool_calls;
 * a `function_call_output` is a tool message. `reasoning` items are left out: they are a model's own notes,
 * meaningful only to the model that wrote them.
 */
export function inputItemsToMessages(items: readonly unknown[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const [i, item] of items.entries()) {
    const where = `input[${i}]`;
    if (!isObject(item)) throw bad(`${where} must be an object.`, where);
    const type = item['type'] ?? 'message';
    switch (type) {
      case 'message': {
        const role = item['role'];
        if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer') {
          throw bad(`${where}.role must be "user", "assistant", "system" or "developer".`, `${where}.role`);
        }
        const content = contentOf(item['content'], `${where}.content`);
        out.push({ role: role === 'developer' ? 'system' : role, content });
        break;
      }
      case 'function_call': {
        const callId = item['call_id'];
        const name = item['name'];
        if (typeof callId !== 'string' || typeof name !== 'string')
          throw bad(`${where} needs a call_id and a name.`, where);
        const args = typeof item['arguments'] === 'string' ? item['arguments'] : '{}';
        const last = out.at(-1);
        const call = { id: callId, type: 'function' as const, function: { name, arguments: args } };
        if (last?.role === 'assistant') (last.tool_calls ??= []).push(call);
        else out.push({ role: 'assistant', content: null, tool_calls: [call] });
        break;
      }
      case 'function_call_output': {
        const callId = item['call_id'];
        if (typeof callId !== 'string') throw bad(`${where}.call_id is missing.`, `${where}.call_id`);
        out.push({ role: 'tool', tool_call_id: callId, content: toolOutput(item['output'], `${where}.output`) });
        break;
      }
      case 'reasoning':
        break;
      default:
        throw bad(
          `${where}: input items of type ${JSON.stringify(type)} cannot be sent to this model (it is not OpenAI's); send message, function_call and function_call_output items.`,
          `${where}.type`,
        );
    }
  }
  return out;
}

function toolsOf(tools: unknown): unknown[] {
  if (!Array.isArray(tools)) throw bad('`tools` must be an array.', 'tools');
  return tools.map((t: unknown, i) => {
    const where = `tools[${i}]`;
    if (!isObject(t)) throw bad(`${where} must be an object.`, where);
    if (t['type'] !== 'function') {
      const type = String(t['type']);
      throw bad(
        BUILT_IN_TOOLS.has(type)
          ? builtInToolRefusal(type, where)
          : `${where}.type ${JSON.stringify(type)} is unknown.`,
        `${where}.type`,
      );
    }
    const fn: Json = { name: t['name'], parameters: isObject(t['parameters']) ? t['parameters'] : { type: 'object' } };
    if (typeof t['description'] === 'string') fn['description'] = t['description'];
    if (t['strict'] === true) fn['strict'] = true;
    return { type: 'function', function: fn };
  });
}

function toolChoiceOf(choice: unknown): unknown {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (isObject(choice) && choice['type'] === 'function' && typeof choice['name'] === 'string')
    return { type: 'function', function: { name: choice['name'] } };
  throw bad(
    '`tool_choice` must be "auto", "none", "required" or {"type": "function", "name": ...} for this model.',
    'tool_choice',
  );
}

/** text.format → chat's response_format (undefined for plain text). */
function responseFormatOf(text: unknown): unknown {
  if (!isObject(text)) return undefined;
  const f = text['format'];
  if (!isObject(f) || f['type'] === 'text') return undefined;
  if (f['type'] === 'json_object') return { type: 'json_object' };
  if (f['type'] === 'json_schema') {
    const schema: Json = { name: f['name'], schema: f['schema'] };
    if (typeof f['description'] === 'string') schema['description'] = f['description'];
    if (typeof f['strict'] === 'boolean') schema['strict'] = f['strict'];
    return { type: 'json_schema', json_schema: schema };
  }
  throw bad('`text.format.type` must be "text", "json_object" or "json_schema".', 'text.format.type');
}

/**
 * An OpenAI Responses request → the chat request every adapter takes. `instructions` → a system message
 * first; `input` (a string: one user message; or items, inputItemsToMessages) → messages; function tools →
 * chat function tools (built-in tools refused); tool_choice; text.format → response_format (json_schema,
 * json_object); reasoning.effort → reasoning_effort; max_output_tokens → max_tokens; temperature, top_p,
 * user, parallel_tool_calls, stream as they are. `store` and `metadata` stay with Switchyard, which keeps
 * the response; `previous_response_id` must have been expanded into `input` by the gateway already. A
 * member without a counterpart is refused (400) with its name, never dropped.
 */
export function responsesToChatRequest(body: unknown): ChatCompletionRequest {
  if (!isObject(body)) throw bad('The request body must be a JSON object.', null);
  for (const k of Object.keys(body)) {
    if (!TRANSLATED_FIELDS.has(k)) {
      throw bad(
        `\`${k}\` is not supported with this model: it is served by a provider other than OpenAI, and Switchyard translates only ${[...TRANSLATED_FIELDS].join(', ')}. Leave it out.`,
        k,
      );
    }
  }
  if (body['background'] === true) throw bad('`background` responses are not supported.', 'background');
  if (body['previous_response_id'] !== undefined && body['previous_response_id'] !== null) {
    throw bad('`previous_response_id` must be resolved by the gateway; send the request through it.', null);
  }
  const messages: ChatMessage[] = [];
  if (typeof body['instructions'] === 'string' && body['instructions'].length > 0)
    messages.push({ role: 'system', content: body['instructions'] });
  const input = body['input'];
  if (typeof input === 'string') messages.push({ role: 'user', content: input });
  else if (Array.isArray(input)) messages.push(...inputItemsToMessages(input));
  else throw bad('`input` must be a string or an array of input items.', 'input');

  const req: ChatCompletionRequest = { model: String(body['model']), messages };
  if (body['stream'] === true) req.stream = true;
  if (typeof body['max_output_tokens'] === 'number') req.max_tokens = body['max_output_tokens'];
  for (const k of ['temperature', 'top_p'] as const) if (typeof body[k] === 'number') req[k] = body[k] as number;
  if (typeof body['user'] === 'string') req.user = body['user'];
  const tools = body['tools'];
  const hasTools = Array.isArray(tools) && tools.length > 0;
  if (hasTools) {
    req.tools = toolsOf(tools);
    if (body['tool_choice'] !== undefined) req.tool_choice = toolChoiceOf(body['tool_choice']);
    if (typeof body['parallel_tool_calls'] === 'boolean') req['parallel_tool_calls'] = body['parallel_tool_calls'];
  } else if (body['tool_choice'] !== undefined) {
    // Checked even without tools, so a choice no chat API carries is refused the same way.
    toolChoiceOf(body['tool_choice']);
  }
  const format = responseFormatOf(body['text']);
  if (format !== undefined) req.response_format = format;
  const reasoning = body['reasoning'];
  if (isObject(reasoning) && typeof reasoning['effort'] === 'string' && reasoning['effort'] !== 'none')
    req['reasoning_effort'] = reasoning['effort'];
  return req;
}
