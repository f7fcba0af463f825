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

/**
 * With the asynchronous content filter, Azure adds chunks that only annotate text already sent: choices
 * with `content_filter_offsets` and `content_filter_results` but no `delta`, empty id and model. OpenAI's
 * chunk always has a delta (SDK stream helpers read it), so these are not forwarded either.
 */
export function isFilterAnnotationChunk(data: string): boolean {
  if (data.indexOf('"content_filter_offsets"') === -1) return false;
  try {
    const chunk = JSON.parse(data) as { choices?: unknown; usage?: unknown } | null;
    if (chunk === null || !Array.isArray(chunk.choices) || chunk.choices.length === 0) return false;
    if (chunk.usage !== undefined && chunk.usage !== null) return false;
    return chunk.choices.every((c: { delta?: unknown; finish_reason?: unknown } | null) => {
      return c !== null && typeof c === 'object' && c.delta === undefined && !c.finish_reason;
    });
  } catch {
    return false;
  }
}

/** OpenAI's pass-through stream translator, minus Azure's content-filter chunks (prompt results, annotations). */
export function createAzureStreamTranslator(opts: StreamTranslatorOptions): StreamTranslator {
  const inner = createOpenAIStreamTranslator(opts);
  return {
    state: inner.state,
    push: (event) => {
      if (!inner.state.contentSeen ? isPromptFilterChunk(event.data) : isFilterAnnotationChunk(event.data)) return '';
      return inner.push(event);
    },
    end: () => inner.end(),
  };
}
