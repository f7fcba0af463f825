/**
 * NATS header names of the request protocol (v2). Metadata travels in headers so the router can forward
 * a request body without parsing or re-serialising it.
 */
export const H = {
  /** Request id, set by the gateway, kept through every hop, the usage event and the response header. */
  requestId: 'sy-request-id',
  /** The model the client asked for (gateway → router). */
  model: 'sy-model',
  /** "1" when the client asked for a stream. */
  stream: 'sy-stream',
  /** The API the client speaks (ClientApi): the translator picks the encoder by it. */
  clientApi: 'sy-client-api',
  /**
   * JSON of the gateway's RequestSummary (what admission learnt of the body), so later hops need not
   * parse a body they only pass through.
   */
  summary: 'sy-summary',
  /** Gateway reply subject for data frames (router → translator). */
  clientReply: 'sy-client-reply',
  /** Deployment chosen by the router (router → translator). */
  deployment: 'sy-deployment',
  /**
   * Attempt number (1, 2, ...) of the request, set by the router on each execute command and echoed on
   * every frame the translator sends: the gateway takes frames only from the attempt that committed.
   */
  attempt: 'sy-attempt',
  /**
   * Milliseconds left before nobody waits for the answer any more, as of publishing. Remaining time, not a
   * wall-clock deadline, so hosts with skewed clocks agree; each hop subtracts the time it spent.
   */
  timeoutMs: 'sy-timeout-ms',
  /** JSON RouteTrail: the request's earlier attempts (router → translator). */
  trail: 'sy-trail',
  /**
   * The attempt's position in the fallback chain (router → translator; absent for 0, the group asked for): the
   * translator reports it in FrameMeta.fallbackDepth. Retries within a group do not change it.
   */
  fallbackDepth: 'sy-fallback-depth',
  /** Kind of a reply frame: see FrameKind. */
  frame: 'sy-frame',
  /** JSON of FrameMeta on `response`, `done` and `error` frames. */
  meta: 'sy-meta',
  /**
   * On the first `chunk` or `part` frame of an attempt (translator → gateway): `<fallback depth> <deployment id>`,
   * so the gateway names the deployment that answers in the response headers it writes before the first byte.
   */
  route: 'sy-route',
} as const;

/** The H.route value of an attempt. */
export function encodeRoute(fallbackDepth: number, deploymentId: string): string {
  return `${fallbackDepth} ${deploymentId}`;
}

/** An H.route value read back; undefined when absent or malformed. */
export function decodeRoute(value: string): { fallbackDepth: number; deploymentId: string } | undefined {
  const space = value.indexOf(' ');
  if (space <= 0) return undefined;
  const fallbackDepth = Number(value.slice(0, space));
  if (!Number.isInteger(fallbackDepth) || fallbackDepth < 0) return undefined;
  return { fallbackDepth, deploymentId: value.slice(space + 1) };
}

/**
 * Reply frames sent to the gateway's per-request reply subject, each with H.attempt.
 * - `response`: the non-streaming answer (or its last piece), already in the client's API.
 * - `part`: a leading piece of a non-streaming answer too large for one NATS message (the server's
 *   max_payload); the gateway writes it through, and the `response` frame that follows ends the body.
 * - `chunk`: one or more complete stream events in the client's API, written to the client as they are.
 * - `done`: the stream ended normally; the gateway writes the client API's terminator.
 * - `error`: body is the structured GatewayError as JSON (never a client envelope: the gateway renders it
 *   in the client's API); meta carries status and usage.
 */
export type FrameKind = 'response' | 'part' | 'chunk' | 'done' | 'error';

/** The frames that end an answer. */
export const FINAL_FRAMES: ReadonlySet<string> = new Set<FrameKind>(['response', 'done', 'error']);

/** Room left in each NATS message for headers when a body is cut to fit max_payload. */
export const FRAME_HEADER_ROOM = 16 * 1024;

/** The client APIs the gateway speaks; H.clientApi names one. */
export type ClientApi =
  'openai.chat' | 'anthropic.messages' | 'openai.responses' | 'openai.embeddings' | 'openai.completions';
export const CLIENT_APIS: readonly ClientApi[] = [
  'openai.chat',
  'anthropic.messages',
  'openai.responses',
  'openai.embeddings',
  'openai.completions',
];
export function isClientApi(v: string | undefined): v is ClientApi {
  return v !== undefined && (CLIENT_APIS as readonly string[]).includes(v);
}
