import { headers, type MsgHdrs } from '@nats-io/transport-node';
import { errorBody, H, type FrameKind, type FrameMeta, type GatewayError } from '@switchyard/contracts';

/** Headers of one reply frame: its kind, and the FrameMeta JSON and request id when given. */
export function frameHeaders(kind: FrameKind, meta?: FrameMeta, requestId?: string): MsgHdrs {
  const h = headers();
  h.set(H.frame, kind);
  if (meta !== undefined) h.set(H.meta, JSON.stringify(meta));
  if (requestId) h.set(H.requestId, requestId);
  return h;
}

/** The FrameMeta fields that describe an error: its type, code and retryAfter. */
export function errorMeta(e: GatewayError): Pick<FrameMeta, 'errorType' | 'errorCode' | 'retryAfter'> {
  const m: Pick<FrameMeta, 'errorType' | 'errorCode' | 'retryAfter'> = { errorType: e.type };
  if (e.code) m.errorCode = e.code;
  if (e.retryAfter !== undefined) m.retryAfter = e.retryAfter;
  return m;
}

export interface ErrorFrame {
  /** The OpenAI error envelope JSON, UTF-8. */
  data: Uint8Array;
  /** `error` frame headers carrying `meta`. */
  headers: MsgHdrs;
  /** `extra` with the error's status, type, code and retryAfter. */
  meta: FrameMeta;
}

/**
 * An `error` frame for `error`: the envelope as body, and FrameMeta = `extra` (deployment, usage,
 * latency...) plus the error's status, type, code and retryAfter.
 */
export function errorFrame(error: GatewayError, extra: Partial<FrameMeta> = {}, requestId?: string): ErrorFrame {
  const meta: FrameMeta = { ...extra, status: error.status, ...errorMeta(error) };
  return {
    data: Buffer.from(JSON.stringify(errorBody(error)), 'utf8'),
    headers: frameHeaders('error', meta, requestId),
    meta,
  };
}
