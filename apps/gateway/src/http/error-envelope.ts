import type { GatewayError } from '@switchyard/contracts';
import { anthropicErrorEnvelope } from '../codecs/anthropic-messages.envelope';
import type { ErrorEnvelope } from '../codecs/client-codec';
import { openAIChatCodec } from '../codecs/openai-chat.codec';

const ANTHROPIC_PATH = /^\/(v1\/)?messages(\/|\?|$)/;

/**
 * The envelope a request answered outside its front door's handler gets (unknown route, unparsable body,
 * a rejection of Fastify's own): the one of the API its path belongs to, OpenAI's unless it is Anthropic's.
 */
export function envelopeFor(url: string | undefined): ErrorEnvelope {
  return url !== undefined && ANTHROPIC_PATH.test(url) ? anthropicErrorEnvelope : openAIChatCodec;
}

/**
 * Whether a retry of the same request can succeed, as the official SDKs read it from `x-should-retry`
 * (which overrides their own status rules: they otherwise retry 408, 409, 429 and every 5xx). A 4xx other
 * than those is the request's own fault, and an error its source marked not retryable (an answer too large,
 * a 501) or a configuration fault (`configFault`: retryable for the router, which may move to another
 * deployment, never for the client) will fail the same way again; undefined leaves the SDK to its rules.
 */
export function shouldRetry(error: Pick<GatewayError, 'status' | 'retryable' | 'configFault'>): boolean | undefined {
  if (error.retryable === false || error.configFault === true || error.status === 501) return false;
  if (error.status >= 400 && error.status < 500) return [408, 409, 429].includes(error.status);
  return error.retryable === true ? true : undefined;
}

/** The headers of every error response: content type, retry hints, and the request id. */
export function errorHeaders(error: GatewayError, requestId: string): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': requestId };
  if (error.retryAfter !== undefined) h['retry-after'] = String(Math.ceil(error.retryAfter));
  if (error.status === 401) h['www-authenticate'] = 'Bearer';
  const retry = shouldRetry(error);
  if (retry !== undefined) h['x-should-retry'] = String(retry);
  return h;
}
