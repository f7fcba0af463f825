import { fakeAnswerPieces, fakePromptTokensOf } from '../fake-openai.server';
import { FakeRefusal } from './fake-embeddings';

const MEMBERS = new Set([
  'model',
  'prompt',
  'best_of',
  'echo',
  'frequency_penalty',
  'logit_bias',
  'logprobs',
  'max_tokens',
  'n',
  'presence_penalty',
  'seed',
  'stop',
  'stream',
  'stream_options',
  'suffix',
  'temperature',
  'top_p',
  'user',
]);

const invalid = (message: string, param: string | null): FakeRefusal =>
  new FakeRefusal(400, { error: { message, type: 'invalid_request_error', param, code: null } });

/**
 * OpenAI's legacy `POST /v1/completions`, as strict as the real one about its members: model and prompt
 * required, unknown members refused, `stream_options` only with `stream`. The answer is the fake's usual
 * pieces ("Hello from the fake OpenAI server." cut to `chunks`), as `text_completion` JSON or SSE chunks;
 * prompt_tokens = ceil(prompt characters / 4), completion_tokens = pieces.
 */
export function openAICompletionsAnswer(body: unknown, chunks: number): { json: unknown } | { events: string[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw invalid('We could not parse the JSON body of your request.', null);
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b))
    if (!MEMBERS.has(k)) throw invalid(`Unrecognized request argument supplied: ${k}`, null);
  if (typeof b['model'] !== 'string') throw invalid('you must provide a model parameter', 'model');
  const prompt = b['prompt'];
  if (typeof prompt !== 'string' && !(Array.isArray(prompt) && prompt.every((p) => typeof p === 'string')))
    throw invalid("'$.prompt' is invalid.", 'prompt');
  if (b['stream_options'] !== undefined && b['stream'] !== true)
    throw invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
  const prompts = typeof prompt === 'string' ? [prompt] : (prompt as string[]);
  const promptTokens = fakePromptTokensOf(prompts.map((content) => ({ content })));
  const pieces = fakeAnswerPieces(chunks);
  const id = `cmpl-fake${Date.now().toString(36)}`;
  const created = Math.floor(Date.now() / 1000);
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: pieces.length * prompts.length,
    total_tokens: promptTokens + pieces.length * prompts.length,
  };
  const head = { id, object: 'text_completion', created, model: b['model'] };
  if (b['stream'] !== true) {
    return {
      json: {
        ...head,
        choices: prompts.map((_, index) => ({ text: pieces.join(''), index, logprobs: null, finish_reason: 'length' })),
        usage,
      },
    };
  }
  const withUsage = (b['stream_options'] as { include_usage?: unknown } | undefined)?.include_usage === true;
  const events: string[] = [];
  const event = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    events.push(
      `data: ${JSON.stringify({ ...head, choices, ...extra, ...(withUsage && !('usage' in extra) && { usage: null }) })}\n\n`,
    );
  for (const piece of pieces)
    event(prompts.map((_, index) => ({ text: piece, index, logprobs: null, finish_reason: null })));
  event(prompts.map((_, index) => ({ text: '', index, logprobs: null, finish_reason: 'length' })));
  if (withUsage) event([], { usage });
  events.push('data: [DONE]\n\n');
  return { events };
}
