import { Errors, GATEWAY_ONLY_FIELDS, type GatewayError } from '@switchyard/contracts';
import type { ChatCompletionRequest } from '../openai-types';

/** OpenAI's legacy completions request (`POST /v1/completions`), as a client sends it. */
export interface CompletionRequest {
  model: string;
  prompt: string | string[] | number[] | number[][];
  stream?: boolean;
  [member: string]: unknown;
}

export type CompletionCheck =
  { ok: true; body: CompletionRequest; promptChars: number } | { ok: false; error: GatewayError };

const bad = (message: string, param: string | null, code: string | null = 'invalid_value'): CompletionCheck => ({
  ok: false,
  error: Errors.invalidRequest(message, param, code),
});
const isTokenId = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Checks `prompt` (and the members only this API has) as OpenAI does; the chat validator checks the rest. */
export function checkCompletionRequest(doc: unknown): CompletionCheck {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    return bad('The request body must be a JSON object.', null, null);
  const body = doc as Record<string, unknown>;
  const prompt = body['prompt'];
  if (prompt === undefined) return bad("Missing required parameter: 'prompt'.", 'prompt', 'missing_required_parameter');
  let promptChars: number;
  if (typeof prompt === 'string') promptChars = prompt.length;
  else if (Array.isArray(prompt) && prompt.length > 0 && prompt.every((p) => typeof p === 'string'))
    promptChars = (prompt as string[]).reduce((n, p) => n + p.length, 0);
  else if (Array.isArray(prompt) && prompt.length > 0 && prompt.every(isTokenId)) promptChars = prompt.length * 4;
  else if (
    Array.isArray(prompt) &&
    prompt.length > 0 &&
    prompt.every((p) => Array.isArray(p) && p.length > 0 && p.every(isTokenId))
  )
    promptChars = (prompt as number[][]).reduce((n, p) => n + p.length * 4, 0);
  else
    return bad(
      "Invalid type for 'prompt': expected a string, an array of strings, an array of token ids, or an array of token-id arrays.",
      'prompt',
      'invalid_type',
    );
  const echo = body['echo'];
  if (echo !== undefined && echo !== null && typeof echo !== 'boolean')
    return bad("Invalid type for 'echo': expected a boolean.", 'echo', 'invalid_type');
  const suffix = body['suffix'];
  if (suffix !== undefined && suffix !== null && typeof suffix !== 'string')
    return bad("Invalid type for 'suffix': expected a string.", 'suffix', 'invalid_type');
  return { ok: true, body: body as CompletionRequest, promptChars };
}

/** Members of a completions request that carry over to a chat request unchanged. */
const SAME_IN_CHAT = [
  'model',
  'stream',
  'stream_options',
  'max_tokens',
  'temperature',
  'top_p',
  'n',
  'stop',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'logit_bias',
  'user',
  'metadata',
] as const;

const refuse = (message: string, param: string): { error: GatewayError } => ({
  error: Errors.invalidRequest(message, param, 'unsupported_parameter'),
});

/**
 * The chat request a completions request becomes for a provider without a completions endpoint: the prompt
 * as one user message, the sampling settings as they are. What chat cannot express is refused with a 400
 * naming the setting: several prompts, token-id prompts, `suffix`, `echo`, `best_of` above 1, `logprobs`.
 * Gateway-only members (routing hints) are kept: the translator strips them as for any chat request.
 */
export function chatRequestFromCompletion(
  body: CompletionRequest,
  provider: string,
): { chat: ChatCompletionRequest } | { error: GatewayError } {
  const why = `the model's provider (${provider}) has no completions endpoint, so Switchyard asks it through chat`;
  let prompt = body.prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') prompt = prompt[0];
  if (typeof prompt !== 'string')
    return refuse(`Send 'prompt' as one string: ${why}, which takes one text prompt per request.`, 'prompt');
  if (typeof body['suffix'] === 'string' && body['suffix'].length > 0)
    return refuse(`'suffix' (insertion) is not available: ${why}.`, 'suffix');
  if (body['echo'] === true) return refuse(`'echo' is not available: ${why}.`, 'echo');
  const bestOf = body['best_of'];
  if (typeof bestOf === 'number' && bestOf > 1) return refuse(`'best_of' above 1 is not available: ${why}.`, 'best_of');
  if (body['logprobs'] !== undefined && body['logprobs'] !== null && body['logprobs'] !== 0)
    return refuse(`'logprobs' is not available: ${why}.`, 'logprobs');
  const chat: Record<string, unknown> = { messages: [{ role: 'user', content: prompt }] };
  for (const k of SAME_IN_CHAT) if (body[k] !== undefined) chat[k] = body[k];
  for (const [k, v] of Object.entries(body)) {
    // Routing hints and drop settings travel on, for the translator to read and strip as usual.
    if (chat[k] === undefined && GATEWAY_MEMBERS.has(k)) chat[k] = v;
  }
  return { chat: chat as unknown as ChatCompletionRequest };
}

const GATEWAY_MEMBERS: ReadonlySet<string> = new Set(GATEWAY_ONLY_FIELDS);
