/**
 * NATS header names. Metadata travels in headers so the router can forward a request body without
 * parsing or re-serialising it.
 */
export const H = {
  /** Request id, set by the gateway, kept through every hop, the usage event and the response header. */
  requestId: 'sy-request-id',
  /** The model the client asked for (gateway → router). */
  model: 'sy-model',
  /** "1" when the client asked for a stream. */
  stream: 'sy-stream',
  /** Gateway reply subject for data frames (router → translator). */
  clientReply: 'sy-client-reply',
  /** Deployment chosen by the router (router → translator). */
  deployment: 'sy-deployment',
  /** Deadline as epoch milliseconds; past it, nobody waits for the answer any more. */
  deadline: 'sy-deadline',
  /** Kind of a reply frame: see FrameKind. */
  frame: 'sy-frame',
  /** JSON of FrameMeta on `response`, `done` and `error` frames. */
  meta: 'sy-meta',
} as const;

/**
 * Reply frames sent to the gateway's per-request reply subject.
 * - `response`: the non-streaming answer (or its last piece); body is the OpenAI JSON to send as is.
 * - `part`: a leading piece of a non-streaming answer too large for one NATS message (the server's
 *   max_payload); the gateway writes it through, and the `response` frame that follows ends the body.
 * - `chunk`: body is one or more complete SSE events (`data: {...}\n\n`), written to the client as is.
 * - `done`: the stream ended normally; the gateway writes `data: [DONE]`.
 * - `error`: body is the OpenAI error envelope; meta carries status and retry hint.
 */
export type FrameKind = 'response' | 'part' | 'chunk' | 'done' | 'error';

/** Room left in each NATS message for headers when a body is cut to fit max_payload. */
export const FRAME_HEADER_ROOM = 16 * 1024;
