import type { ChatCompletion, ChatCompletionChunk } from '../openai-types';
import { badResponse } from '../errors/bad-response';

/*
 * A chat answer rewritten as OpenAI's legacy completions answer, for providers asked through chat:
 * `chat.completion` → `text_completion` (each choice's message content as `text`), and each
 * `chat.completion.chunk` → a `text_completion` chunk (`choices[].text`, `finish_reason`), as OpenAI streams
 * them. The id becomes `cmpl-…`; usage is kept.
 */

function completionId(id: unknown): string {
  const s = typeof id === 'string' ? id : '';
  return s.startsWith('chatcmpl-') ? `cmpl-${s.slice('chatcmpl-'.length)}` : s || `cmpl-${Date.now().toString(36)}`;
}

/** A whole `chat.completion` (JSON text or bytes) as a `text_completion` body. */
export function textCompletionFromChat(body: string | Uint8Array): string {
  let doc: ChatCompletion;
  try {
    doc = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8')) as ChatCompletion;
  } catch {
    throw badResponse('The provider answered with a body that is not JSON. Retry the request.');
  }
  if (doc === null || typeof doc !== 'object' || !Array.isArray(doc.choices))
    throw badResponse('The provider answered with JSON that is not a chat completion (no "choices"). Retry.');
  return JSON.stringify({
    id: completionId(doc.id),
    object: 'text_completion',
    created: doc.created,
    model: doc.model,
    choices: doc.choices.map((c, i) => ({
      text: typeof c.message?.content === 'string' ? c.message.content : '',
      index: typeof c.index === 'number' ? c.index : i,
      logprobs: null,
      finish_reason: c.finish_reason ?? null,
    })),
    ...(doc.usage !== undefined && doc.usage !== null && { usage: doc.usage }),
  });
}

/** One `chat.completion.chunk` as the `text_completion` chunk to write, or undefined when it says nothing to this API. */
export function textCompletionChunk(chunk: ChatCompletionChunk): string | undefined {
  const choices: Array<{ text: string; index: number; logprobs: null; finish_reason: string | null }> = [];
  for (const c of Array.isArray(chunk.choices) ? chunk.choices : []) {
    const text = typeof c.delta?.content === 'string' ? c.delta.content : '';
    const finish = c.finish_reason ?? null;
    // The role chunk, reasoning and other deltas have no place in a text completion.
    if (text.length === 0 && finish === null) continue;
    choices.push({ text, index: typeof c.index === 'number' ? c.index : 0, logprobs: null, finish_reason: finish });
  }
  const usage = chunk.usage ?? undefined;
  if (choices.length === 0 && usage === undefined) return undefined;
  return JSON.stringify({
    id: completionId(chunk.id),
    object: 'text_completion',
    created: chunk.created,
    model: chunk.model,
    choices,
    ...(usage !== undefined && { usage }),
  });
}

/**
 * Rewrites chat SSE text (whole `data: {...}\n\n` events, as a stream translator returns them) as
 * text_completion SSE text. Events that are not chunk JSON pass through unchanged.
 */
export function textCompletionSse(chatSse: string): string {
  if (chatSse.length === 0) return '';
  let out = '';
  for (const event of chatSse.split('\n\n')) {
    if (event.length === 0) continue;
    if (!event.startsWith('data: ')) {
      out += `${event}\n\n`;
      continue;
    }
    const data = event.slice('data: '.length);
    let chunk: ChatCompletionChunk;
    try {
      chunk = JSON.parse(data) as ChatCompletionChunk;
    } catch {
      out += `${event}\n\n`;
      continue;
    }
    const rewritten = textCompletionChunk(chunk);
    if (rewritten !== undefined) out += `data: ${rewritten}\n\n`;
  }
  return out;
}
