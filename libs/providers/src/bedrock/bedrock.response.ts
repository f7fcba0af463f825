import { randomBytes } from 'node:crypto';
import type { TokenUsage } from '@switchyard/contracts';
import { aggregateCanonical } from '../canonical/canonical-stream';
import { generatedCharsOfCompletion } from '../openai/openai.response';
import type { ChatInput, ParsedResponse } from '../provider-adapter';
import { badResponse } from '../errors/bad-response';
import { BedrockStreamReader, bedrockUsage } from './bedrock.stream';
import type { ConverseResponse } from './bedrock.types';

/** An id for an answer Bedrock gave none for (its request id is a header, not part of the body). */
export function bedrockCompletionId(): string {
  return `chatcmpl-${randomBytes(12).toString('hex')}`;
}

/**
 * A Converse answer (200) → the client's chat.completion: text, tool calls, reasoning (`reasoning_content`
 * and the signed `thinking_blocks` to send back), finish_reason and usage, through the same reader the
 * stream uses. A body that is not a Converse answer is the upstream's fault: a 502.
 */
export function parseBedrockResponse(body: string | Uint8Array, input: ChatInput): ParsedResponse {
  let doc: ConverseResponse;
  try {
    doc = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8')) as ConverseResponse;
  } catch {
    throw badResponse('The provider answered with a body that is not JSON. Retry the request.');
  }
  const content = (doc as Partial<ConverseResponse> | null)?.output?.message?.content;
  if (!Array.isArray(content)) {
    throw badResponse('The provider answered with JSON that is not a Converse answer (no output.message.content).');
  }
  const reader = new BedrockStreamReader({
    id: bedrockCompletionId(),
    model: input.summary.model,
    created: Math.floor(Date.now() / 1000),
  });
  let usage: TokenUsage | undefined;
  const completion = aggregateCanonical((sink) => {
    reader.readContent(content as Record<string, unknown>[], sink);
    reader.readStop(typeof doc.stopReason === 'string' ? doc.stopReason : 'end_turn', sink);
    if (doc.usage !== null && typeof doc.usage === 'object') {
      usage = bedrockUsage(doc.usage);
      sink.emit({ type: 'usage', usage });
    }
  });
  const text = JSON.stringify(completion);
  return usage !== undefined
    ? { body: text, usage }
    : { body: text, usage: undefined, generatedChars: generatedCharsOfCompletion(completion) };
}
