import type { StreamTranslator, StreamTranslatorOptions } from '../provider-adapter';
import { createOpenAIStreamTranslator } from '../openai/openai.stream';

/**
 * Azure's content filter opens a stream with a chunk of its own: `choices: []`, empty id and model, and the
 * prompt's `prompt_filter_results`. OpenAI never sends one and a client would read it as a malformed chunk
 * (or as the usage chunk), so it is not forwarded; it carries no content and no usage.
 */
export function isPromptFilterChunk(data: string): boolean {
  if (data.indexOf('"prompt_filter_results"') === -1) return false;
  try {
    const chunk = JSON.parse(data) as { choices?: unknown; usage?: unknown } | null;
    return (
      chunk !== null &&
      Array.isArray(chunk.choices) &&
      chunk.choices.length === 0 &&
      (chunk.usage === undefined || chunk.usage === null)
    );
  } catch {
    return false;
  }
}

/** OpenAI's pass-through stream translator, minus Azure's prompt-filter chunk. */
export function createAzureStreamTranslator(opts: StreamTranslatorOptions): StreamTranslator {
  const inner = createOpenAIStreamTranslator(opts);
  return {
    state: inner.state,
    push: (event) => (!inner.state.contentSeen && isPromptFilterChunk(event.data) ? '' : inner.push(event)),
    end: () => inner.end(),
  };
}
