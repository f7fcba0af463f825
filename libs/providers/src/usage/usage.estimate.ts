import type { TokenUsage } from '@switchyard/contracts';
import type { ChatMessage } from '../openai-types';

/*
 * Token counts ESTIMATED from characters, for attempts cut short (the client went away): OpenAI reports
 * usage only at the end of a stream (the usage chunk), and not at all for a call aborted before it
 * answered, yet the tokens the provider already processed are billed to us. A quarter of the characters
 * is OpenAI's own rule of thumb for English text; it needs no tokenizer and runs on every provider.
 * A count reported by the upstream is always preferred to these.
 */

/** Characters per token assumed by the estimate. */
export const CHARS_PER_TOKEN = 4;

/** ceil(chars / 4): the estimated token count of `chars` characters of text. */
export function estimateTokens(chars: number): number {
  return chars > 0 ? Math.ceil(chars / CHARS_PER_TOKEN) : 0;
}

/** The text one message carries: its string content, or its text parts joined by newlines. */
export function messageText(m: ChatMessage): string {
  const c = m.content;
  if (typeof c === 'string') return c;
  if (!Array.isArray(c)) return '';
  let text = '';
  for (const part of c) {
    const t = (part as { text?: unknown } | null)?.text;
    if (typeof t === 'string') text += (text ? '\n' : '') + t;
  }
  return text;
}

/** Characters of the text the messages carry: string contents, text parts, and tool-call arguments. */
export function promptCharsOf(messages: readonly ChatMessage[] | undefined): number {
  if (!Array.isArray(messages)) return 0;
  let chars = 0;
  for (const m of messages) {
    if (m === null || typeof m !== 'object') continue;
    chars += messageText(m).length;
    if (Array.isArray(m.tool_calls)) {
      for (const call of m.tool_calls) {
        const args = call?.function?.arguments;
        if (typeof args === 'string') chars += args.length;
      }
    }
  }
  return chars;
}

/**
 * Generated text inside one OpenAI chat.completion.chunk JSON: the string values of `content`, `refusal`,
 * `reasoning_content` and tool-call `arguments`. A scan instead of a parse, cheap enough for every chunk.
 * A `"` inside a JSON string is always escaped, so the key pattern only matches real keys; an escape
 * sequence (`\n`, `\"`, `\u00e9`) counts as the one character it stands for.
 */
const GENERATED_TEXT = /"(?:content|refusal|reasoning_content|arguments|text)"\s*:\s*"((?:[^"\\]|\\.)*)"/g;
export function generatedCharsOfChunk(json: string): number {
  let chars = 0;
  GENERATED_TEXT.lastIndex = 0;
  for (let m = GENERATED_TEXT.exec(json); m !== null; m = GENERATED_TEXT.exec(json)) {
    const s = m[1]!;
    chars += s.length;
    for (let i = s.indexOf('\\'); i !== -1; i = s.indexOf('\\', i + 2)) chars -= s[i + 1] === 'u' ? 5 : 1;
  }
  return chars;
}

/** The estimated usage of an attempt that sent `promptChars` and had `completionChars` generated so far. */
export function estimateUsage(chars: { promptChars: number; completionChars: number }): TokenUsage {
  return {
    promptTokens: estimateTokens(chars.promptChars),
    completionTokens: estimateTokens(chars.completionChars),
    cachedTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
  };
}
