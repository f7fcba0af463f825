import { randomBytes } from 'node:crypto';

/*
 * OpenAI tool calls need an id that the client sends back on the tool result; Gemini pairs results by
 * function name (and by its own `id` where it gives one) and, with thinking on, needs the call's
 * `thoughtSignature` back on the same functionCall part in the next request (Gemini 3 refuses the turn
 * without it). Clients keep nothing but the id, so the id carries both, losslessly:
 *
 *   call_<24 hex>                      Gemini gave no id: a fresh one, never sent upstream
 *   call_g_<base64url(gemini id)>      Gemini's own id, sent back as functionCall.id / functionResponse.id
 *   <either>__thought__<signature>     the part's thoughtSignature, sent back on the functionCall part
 *
 * The `__thought__` separator is LiteLLM's, so a conversation started through LiteLLM carries over. An id
 * made elsewhere (another provider, a fallback) has neither form: it is used for pairing only.
 */

const SIGNATURE_SEPARATOR = '__thought__';
const GEMINI_ID_PREFIX = 'call_g_';

export interface DecodedToolCallId {
  /** The id Gemini gave the call, to send back; undefined when it gave none (or the id is not ours). */
  geminiId?: string;
  /** The thought signature of the call's part, to send back on it. */
  signature?: string;
}

/** The OpenAI tool-call id for a Gemini functionCall part. */
export function encodeToolCallId(geminiId: string | undefined, signature: string | undefined): string {
  const base =
    geminiId !== undefined && geminiId.length > 0
      ? `${GEMINI_ID_PREFIX}${Buffer.from(geminiId, 'utf8').toString('base64url')}`
      : `call_${randomBytes(12).toString('hex')}`;
  return signature !== undefined && signature.length > 0 ? `${base}${SIGNATURE_SEPARATOR}${signature}` : base;
}

/** What an OpenAI tool-call id carries for Gemini (nothing, for ids made elsewhere). */
export function decodeToolCallId(id: string): DecodedToolCallId {
  const at = id.indexOf(SIGNATURE_SEPARATOR);
  const base = at === -1 ? id : id.slice(0, at);
  const signature = at === -1 ? undefined : id.slice(at + SIGNATURE_SEPARATOR.length);
  const out: DecodedToolCallId = {};
  if (signature !== undefined && signature.length > 0) out.signature = signature;
  if (base.startsWith(GEMINI_ID_PREFIX) && base.length > GEMINI_ID_PREFIX.length) {
    const decoded = Buffer.from(base.slice(GEMINI_ID_PREFIX.length), 'base64url').toString('utf8');
    if (decoded.length > 0) out.geminiId = decoded;
  }
  return out;
}
