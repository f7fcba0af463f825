import { aggregateCanonical, type CanonicalSink } from '../canonical/canonical-stream';
import type { TokenLogprob } from '../canonical/canonical-event.types';
import { generatedCharsOfCompletion } from '../openai/openai.response';
import type { ChatInput, ParsedResponse } from '../provider-adapter';
import {
  cohereFinish,
  cohereFinishFailure,
  cohereLogprobs,
  cohereUsage,
  completionId,
  type CohereAnswerHead,
} from './cohere.stream';
import type { CohereChatResponse } from './cohere.types';
import { badResponse } from '../errors/bad-response';

/**
 * A whole Cohere answer as canonical events, in the order a stream of it would give them: reasoning
 * (thinking parts, then the tool plan), text, tool calls, usage, the finish.
 */
export function emitCohereResponse(doc: CohereChatResponse, head: CohereAnswerHead, sink: CanonicalSink): void {
  sink.emit({ type: 'message_start', id: completionId(doc.id, head.id), model: head.model, created: head.created });
  sink.emit({ type: 'role', choice: 0 });
  const m = doc.message;
  const parts = Array.isArray(m.content) ? m.content : [];
  for (const p of parts) {
    if (p?.type === 'thinking' && typeof p.thinking === 'string' && p.thinking.length > 0)
      sink.emit({ type: 'reasoning_delta', choice: 0, text: p.thinking });
  }
  if (typeof m.tool_plan === 'string' && m.tool_plan.length > 0)
    sink.emit({ type: 'reasoning_delta', choice: 0, text: m.tool_plan });
  const text = parts
    .filter((p) => p?.type === 'text' && typeof p.text === 'string')
    .map((p) => p.text)
    .join('');
  if (text.length > 0) {
    const logprobs: TokenLogprob[] | undefined = Array.isArray(doc.logprobs)
      ? doc.logprobs.flatMap((item) => cohereLogprobs(item))
      : undefined;
    sink.emit({ type: 'text_delta', choice: 0, text, ...(logprobs !== undefined && { logprobs }) });
  }
  const calls = Array.isArray(m.tool_calls) ? m.tool_calls : [];
  calls.forEach((call, index) => {
    sink.emit({
      type: 'tool_call_start',
      choice: 0,
      index,
      id: typeof call?.id === 'string' ? call.id : `call_${index}`,
      name: typeof call?.function?.name === 'string' ? call.function.name : '',
    });
    const args = call?.function?.arguments;
    if (typeof args === 'string' && args.length > 0)
      sink.emit({ type: 'tool_call_delta', choice: 0, index, arguments: args });
  });
  const usage = cohereUsage(doc.usage);
  if (usage !== undefined) sink.emit({ type: 'usage', usage });
  const failure = cohereFinishFailure(doc.finish_reason);
  if (failure !== undefined) {
    sink.emit({ type: 'error', error: failure });
    return;
  }
  sink.emit({ type: 'finish', choice: 0, reason: cohereFinish(doc.finish_reason), nativeReason: doc.finish_reason });
  sink.done();
}

/** The head of a non-streamed answer: it names the model the client asked for. */
export function responseHead(input: ChatInput, now = Date.now()): CohereAnswerHead {
  return { id: `chatcmpl-${now.toString(36)}`, model: input.summary.model, created: Math.floor(now / 1000) };
}

/**
 * A 2xx Cohere answer → an OpenAI `chat.completion` body, with the usage Cohere reported. A body that is
 * not a Cohere answer is the upstream's fault: 502, so the router may try elsewhere.
 */
export function parseCohereResponse(body: string | Uint8Array, input: ChatInput): ParsedResponse {
  let doc: CohereChatResponse;
  try {
    doc = JSON.parse(
      typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'),
    ) as CohereChatResponse;
  } catch {
    throw badResponse('The provider answered with a body that is not JSON. Retry the request.');
  }
  if (doc === null || typeof doc !== 'object' || doc.message === null || typeof doc.message !== 'object') {
    throw badResponse(
      'The provider answered with JSON that is not a Cohere chat answer (no "message"). Check the deployment\'s api_base.',
    );
  }
  const completion = aggregateCanonical((sink) => emitCohereResponse(doc, responseHead(input), sink));
  const usage = cohereUsage(doc.usage);
  return {
    body: JSON.stringify(completion),
    usage,
    ...(usage === undefined && { generatedChars: generatedCharsOfCompletion(completion) }),
  };
}
