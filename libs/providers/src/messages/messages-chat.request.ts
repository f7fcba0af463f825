import { Errors } from '@switchyard/contracts';
import type { ChatCompletionRequest, ChatContentPart, ChatMessage } from '../openai-types';
import { ProviderError } from '../provider-adapter';

/**
 * Members of a Messages request that translate to a chat request. Anything else is refused with a 400
 * naming it when the deployment is not Anthropic's (an Anthropic deployment takes the body as it is).
 */
const TRANSLATED_FIELDS = new Set([
  'model',
  'messages',
  'system',
  'max_tokens',
  'stream',
  'stop_sequences',
  'temperature',
  'top_p',
  'top_k',
  'tools',
  'tool_choice',
  'thinking',
  'metadata',
]);

/** The thinking budget (tokens) → OpenAI's reasoning_effort: under 2048 low, under 8192 medium, else high. */
export function effortForBudget(budget: number): 'low' | 'medium' | 'high' {
  if (budget < 2048) return 'low';
  if (budget < 8192) return 'medium';
  return 'high';
}

export interface MessagesTranslationOptions {
  /**
   * Keep Anthropic's `cache_control` marks (on system blocks, content parts and tools) and earlier turns'
   * signed thinking (`thinking_blocks`): native adapters read them (Bedrock's cache points, Claude's
   * thinking), while OpenAI-compatible servers refuse members they do not know.
   */
  native: boolean;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(message: string, param: string | null): ProviderError {
  return new ProviderError({ ...Errors.invalidRequest(message, param, 'invalid_value'), kind: 'bad_request' });
}

function withCache<T extends object>(part: T, block: Json, opts: MessagesTranslationOptions): T {
  if (opts.native && isObject(block['cache_control'])) return { ...part, cache_control: block['cache_control'] };
  return part;
}

/** An Anthropic image block → OpenAI's image_url part (base64 as a data URL). */
function imagePart(block: Json, where: string): ChatContentPart {
  const src = block['source'];
  if (isObject(src) && src['type'] === 'base64' && typeof src['data'] === 'string') {
    const media = typeof src['media_type'] === 'string' ? src['media_type'] : 'image/png';
    return { type: 'image_url', image_url: { url: `data:${media};base64,${src['data']}` } };
  }
  if (isObject(src) && src['type'] === 'url' && typeof src['url'] === 'string') {
    return { type: 'image_url', image_url: { url: src['url'] } };
  }
  throw bad(`${where}.source must be a base64 or url image source to be sent to this model.`, `${where}.source`);
}

/** An Anthropic PDF document block → OpenAI's file part (base64 data only). */
function documentPart(block: Json, where: string): ChatContentPart {
  const src = block['source'];
  if (isObject(src) && src['type'] === 'base64' && typeof src['data'] === 'string') {
    const media = typeof src['media_type'] === 'string' ? src['media_type'] : 'application/pdf';
    return { type: 'file', file: { file_data: `data:${media};base64,${src['data']}` } } as ChatContentPart;
  }
  throw bad(
    `${where}: only base64 documents can be sent to this model (not ${JSON.stringify(isObject(src) ? src['type'] : src)} sources).`,
    `${where}.source`,
  );
}

/** Text parts as a string when nothing else rides on them (the shape every chat server takes). */
function collapse(parts: ChatContentPart[]): string | ChatContentPart[] {
  if (parts.every((p) => p.type === 'text' && Object.keys(p).length === 2)) {
    return parts.map((p) => (p as { text: string }).text).join('\n');
  }
  return parts;
}

function textOf(content: unknown, where: string, opts: MessagesTranslationOptions): ChatContentPart[] {
  if (typeof content === 'string') return content.length > 0 ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content)) throw bad(`${where} must be a string or an array of text blocks.`, where);
  return content.map((b: unknown, i) => {
    if (!isObject(b) || b['type'] !== 'text' || typeof b['text'] !== 'string') {
      throw bad(`${where}[${i}] must be a text block.`, `${where}[${i}]`);
    }
    return withCache({ type: 'text', text: b['text'] } as ChatContentPart, b, opts);
  });
}

/** A tool_result block → an OpenAI tool message; images in it go to a user message after the results. */
function toolResult(
  block: Json,
  where: string,
  opts: MessagesTranslationOptions,
): { message: ChatMessage; images: ChatContentPart[] } {
  const id = block['tool_use_id'];
  if (typeof id !== 'string' || id.length === 0) throw bad(`${where}.tool_use_id is missing.`, `${where}.tool_use_id`);
  const c = block['content'];
  const texts: ChatContentPart[] = [];
  const images: ChatContentPart[] = [];
  if (typeof c === 'string') {
    if (c.length > 0) texts.push({ type: 'text', text: c });
  } else if (Array.isArray(c)) {
    for (const [j, part] of c.entries()) {
      const at = `${where}.content[${j}]`;
      if (!isObject(part)) throw bad(`${at} must be a content block.`, at);
      if (part['type'] === 'text' && typeof part['text'] === 'string') texts.push({ type: 'text', text: part['text'] });
      else if (part['type'] === 'image') images.push(imagePart(part, at));
      else throw bad(`${at}: tool results can carry text and images only when sent to this model.`, at);
    }
  } else if (c !== undefined && c !== null) {
    throw bad(`${where}.content must be a string or an array of blocks.`, `${where}.content`);
  }
  // An error result is said in words: chat APIs have no is_error flag.
  if (block['is_error'] === true) texts.unshift({ type: 'text', text: 'Error:' });
  const message: ChatMessage = { role: 'tool', tool_call_id: id, content: collapse(texts) };
  if (opts.native && isObject(block['cache_control'])) message['cache_control'] = block['cache_control'];
  return { message, images };
}

function userTurn(content: unknown, where: string, opts: MessagesTranslationOptions): ChatMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  if (!Array.isArray(content))
    throw bad(`${where}.content must be a string or an array of blocks.`, `${where}.content`);
  const out: ChatMessage[] = [];
  const parts: ChatContentPart[] = [];
  for (const [j, b] of content.entries()) {
    const at = `${where}.content[${j}]`;
    if (!isObject(b)) throw bad(`${at} must be a content block.`, at);
    switch (b['type']) {
      case 'text':
        if (typeof b['text'] !== 'string') throw bad(`${at}.text must be a string.`, `${at}.text`);
        parts.push(withCache({ type: 'text', text: b['text'] } as ChatContentPart, b, opts));
        break;
      case 'image':
        parts.push(withCache(imagePart(b, at), b, opts));
        break;
      case 'document':
        parts.push(withCache(documentPart(b, at), b, opts));
        break;
      case 'tool_result': {
        // Tool results answer the previous assistant turn: as tool messages they come first.
        const r = toolResult(b, at, opts);
        out.push(r.message);
        parts.push(...r.images);
        break;
      }
      default:
        throw bad(
          `${at}: content blocks of type ${JSON.stringify(b['type'])} cannot be sent to this model (it is not Anthropic's); send text, image, document or tool_result blocks.`,
          at,
        );
    }
  }
  if (parts.length > 0) out.push({ role: 'user', content: collapse(parts) });
  return out;
}

function assistantTurn(content: unknown, where: string, opts: MessagesTranslationOptions): ChatMessage {
  if (typeof content === 'string') return { role: 'assistant', content };
  if (!Array.isArray(content))
    throw bad(`${where}.content must be a string or an array of blocks.`, `${where}.content`);
  const texts: string[] = [];
  const calls: NonNullable<ChatMessage['tool_calls']> = [];
  const thinking: Json[] = [];
  for (const [j, b] of content.entries()) {
    const at = `${where}.content[${j}]`;
    if (!isObject(b)) throw bad(`${at} must be a content block.`, at);
    switch (b['type']) {
      case 'text':
        if (typeof b['text'] === 'string') texts.push(b['text']);
        break;
      case 'tool_use':
        if (typeof b['id'] !== 'string' || typeof b['name'] !== 'string') {
          throw bad(`${at} needs an id and a name.`, at);
        }
        calls.push({
          id: b['id'],
          type: 'function',
          function: { name: b['name'], arguments: JSON.stringify(b['input'] ?? {}) },
        });
        break;
      case 'thinking':
        if (typeof b['thinking'] === 'string')
          thinking.push({ type: 'thinking', thinking: b['thinking'], signature: b['signature'] ?? null });
        break;
      case 'redacted_thinking':
        if (typeof b['data'] === 'string') thinking.push({ type: 'redacted_thinking', data: b['data'] });
        break;
      default:
        throw bad(
          `${at}: assistant blocks of type ${JSON.stringify(b['type'])} cannot be sent to this model (it is not Anthropic's).`,
          at,
        );
    }
  }
  const m: ChatMessage = { role: 'assistant', content: texts.length > 0 ? texts.join('') : null };
  if (calls.length > 0) m.tool_calls = calls;
  // Earlier thinking only means something to the model that signed it: native adapters pass it on.
  if (opts.native && thinking.length > 0) m['thinking_blocks'] = thinking;
  return m;
}

function toolsOf(tools: unknown, opts: MessagesTranslationOptions): unknown[] {
  if (!Array.isArray(tools)) throw bad('`tools` must be an array.', 'tools');
  return tools.map((t: unknown, i) => {
    const where = `tools[${i}]`;
    if (!isObject(t)) throw bad(`${where} must be an object.`, where);
    if (t['type'] !== undefined && t['type'] !== 'custom') {
      throw bad(
        `${where} is Anthropic's server tool ${JSON.stringify(t['type'])}, which only Anthropic's API runs; this model takes custom tools (name, description, input_schema) only.`,
        where,
      );
    }
    if (typeof t['name'] !== 'string' || t['name'].length === 0)
      throw bad(`${where}.name is missing.`, `${where}.name`);
    const fn: Json = {
      name: t['name'],
      parameters: isObject(t['input_schema']) ? t['input_schema'] : { type: 'object', properties: {} },
    };
    if (typeof t['description'] === 'string') fn['description'] = t['description'];
    if (t['strict'] === true) fn['strict'] = true;
    return withCache({ type: 'function', function: fn }, t, opts);
  });
}

function toolChoiceOf(choice: unknown): { tool_choice?: unknown; parallel_tool_calls?: boolean } {
  if (!isObject(choice)) throw bad('`tool_choice` must be an object with a `type`.', 'tool_choice');
  const noParallel = choice['disable_parallel_tool_use'] === true ? { parallel_tool_calls: false } : {};
  switch (choice['type']) {
    case 'auto':
      return { tool_choice: 'auto', ...noParallel };
    case 'any':
      return { tool_choice: 'required', ...noParallel };
    case 'none':
      return { tool_choice: 'none' };
    case 'tool':
      if (typeof choice['name'] !== 'string') throw bad('`tool_choice.name` is missing.', 'tool_choice.name');
      return { tool_choice: { type: 'function', function: { name: choice['name'] } }, ...noParallel };
    default:
      throw bad('`tool_choice.type` must be "auto", "any", "tool" or "none".', 'tool_choice.type');
  }
}

/**
 * An Anthropic Messages request → the OpenAI chat request every adapter takes. system (a string or text
 * blocks) → a system message; user turns → user messages, their tool_result blocks → tool messages first
 * (images in them move to the user message); assistant turns → content, tool_calls (input as JSON
 * arguments) and, for native adapters, thinking_blocks; tools → function tools; tool_choice auto / any /
 * tool / none → auto / required / {function} / none, disable_parallel_tool_use → parallel_tool_calls
 * false; thinking → reasoning_effort (effortForBudget; adaptive is medium); stop_sequences → stop;
 * metadata.user_id → user; max_tokens, temperature, top_p, top_k, stream as they are. A member without a
 * counterpart is refused (400) with its name, never dropped.
 */
export function messagesToChatRequest(body: unknown, opts: MessagesTranslationOptions): ChatCompletionRequest {
  if (!isObject(body)) throw bad('The request body must be a JSON object.', null);
  for (const k of Object.keys(body)) {
    if (!TRANSLATED_FIELDS.has(k)) {
      throw bad(
        `\`${k}\` is not supported with this model: it is served by a provider other than Anthropic, and Switchyard translates only ${[...TRANSLATED_FIELDS].join(', ')}. Leave it out (for Claude Code: CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1).`,
        k,
      );
    }
  }
  const messages: ChatMessage[] = [];
  if (body['system'] !== undefined) {
    const parts = textOf(body['system'], 'system', opts);
    if (parts.length > 0) messages.push({ role: 'system', content: collapse(parts) });
  }
  if (!Array.isArray(body['messages'])) throw bad('`messages` must be an array.', 'messages');
  for (const [i, m] of body['messages'].entries()) {
    const where = `messages[${i}]`;
    if (!isObject(m)) throw bad(`${where} must be an object.`, where);
    if (m['role'] === 'user') messages.push(...userTurn(m['content'], where, opts));
    else if (m['role'] === 'assistant') messages.push(assistantTurn(m['content'], where, opts));
    else throw bad(`${where}.role must be "user" or "assistant".`, `${where}.role`);
  }
  const req: ChatCompletionRequest = { model: String(body['model']), messages };
  if (typeof body['max_tokens'] === 'number') req.max_tokens = body['max_tokens'];
  if (body['stream'] === true) req.stream = true;
  for (const k of ['temperature', 'top_p', 'top_k'] as const) if (body[k] !== undefined) req[k] = body[k] as number;
  if (body['stop_sequences'] !== undefined) req.stop = body['stop_sequences'] as string[];
  const tools = body['tools'];
  const hasTools = Array.isArray(tools) && tools.length > 0;
  if (hasTools) req.tools = toolsOf(tools, opts);
  if (body['tool_choice'] !== undefined) {
    const c = toolChoiceOf(body['tool_choice']);
    // Without tools a tool_choice says nothing a chat server accepts (OpenAI refuses it alone).
    if (hasTools) Object.assign(req, c);
  }
  const thinking = body['thinking'];
  if (isObject(thinking)) {
    if (thinking['type'] === 'enabled' && typeof thinking['budget_tokens'] === 'number')
      req['reasoning_effort'] = effortForBudget(thinking['budget_tokens']);
    else if (thinking['type'] === 'adaptive') req['reasoning_effort'] = 'medium';
    else if (thinking['type'] !== 'disabled')
      throw bad('`thinking.type` must be "enabled", "adaptive" or "disabled".', 'thinking.type');
  }
  const metadata = body['metadata'];
  if (isObject(metadata) && typeof metadata['user_id'] === 'string') req.user = metadata['user_id'];
  return req;
}
