import type { TokenUsage } from '@switchyard/contracts';
import { aggregateCanonical } from '../canonical/canonical-stream';
import { generatedCharsOfCompletion } from '../openai/openai.response';
import type { ChatInput, ParsedResponse } from '../provider-adapter';
import { GeminiStreamReader } from './gemini.stream';
import { badResponse } from '../errors/bad-response';

/**
 * A 2xx GenerateContentResponse → the `chat.completion` the client gets, read through the same reader a
 * stream uses (one response is one big chunk). A refused prompt (promptFeedback.blockReason, no candidates)
 * is a 400 content_policy_violation, so routing may apply its content-policy fallbacks.
 */
export function parseGeminiResponse(body: string | Uint8Array, input: ChatInput): ParsedResponse {
  const text =
    typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw badResponse('The provider answered with a body that is not JSON. Retry the request.');
  }
  const r = doc as { candidates?: unknown; promptFeedback?: { blockReason?: unknown }; error?: unknown } | null;
  if (
    r === null ||
    typeof r !== 'object' ||
    (r.error === undefined &&
      !(Array.isArray(r.candidates) && r.candidates.length > 0) &&
      typeof r.promptFeedback?.blockReason !== 'string')
  ) {
    throw badResponse(
      'The provider answered with JSON that is not a GenerateContentResponse (no candidates). Retry the request.',
    );
  }
  const model = input.summary.model.length > 0 ? input.summary.model : undefined;
  const reader = new GeminiStreamReader({ model, modelName: model });
  let usage: TokenUsage | undefined;
  const completion = aggregateCanonical((sink) =>
    reader.read(doc, {
      emit: (e) => {
        if (e.type === 'usage') usage = e.usage;
        sink.emit(e);
      },
      done: () => sink.done(),
    }),
  );
  const out = JSON.stringify(completion);
  return usage !== undefined
    ? { body: out, usage }
    : { body: out, usage: undefined, generatedChars: generatedCharsOfCompletion(completion) };
}
