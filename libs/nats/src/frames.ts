import { headers, type Msg, type MsgHdrs } from '@nats-io/transport-node';
import { Errors, H, type FrameKind, type FrameMeta, type GatewayError } from '@switchyard/contracts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Headers of one reply frame: its kind, and the FrameMeta JSON, request id and attempt when given. */
export function frameHeaders(kind: FrameKind, meta?: FrameMeta, requestId?: string, attempt?: number): MsgHdrs {
  const h = headers();
  h.set(H.frame, kind);
  if (meta !== undefined) h.set(H.meta, JSON.stringify(meta));
  if (requestId) h.set(H.requestId, requestId);
  if (attempt !== undefined) h.set(H.attempt, String(attempt));
  return h;
}

/** The FrameMeta fields that describe an error. */
export function errorMeta(e: GatewayError): Pick<FrameMeta, 'errorType' | 'errorCode' | 'errorKind' | 'retryAfter'> {
  const m: Pick<FrameMeta, 'errorType' | 'errorCode' | 'errorKind' | 'retryAfter'> = { errorType: e.type };
  if (e.code) m.errorCode = e.code;
  if (e.kind) m.errorKind = e.kind;
  if (e.retryAfter !== undefined) m.retryAfter = e.retryAfter;
  return m;
}

export interface ErrorFrame {
  /** The structured GatewayError as JSON, UTF-8 (the gateway renders it in the client's API). */
  data: Uint8Array;
  /** `error` frame headers carrying `meta`. */
  headers: MsgHdrs;
  /** `extra` with the error's status, kind, type, code and retryAfter. */
  meta: FrameMeta;
}

/**
 * An `error` frame for `error`: the structured error as body, and FrameMeta = `extra` (deployment, usage,
 * latency...) plus the error's status, kind, type, code and retryAfter.
 */
export function errorFrame(
  error: GatewayError,
  extra: Partial<FrameMeta> = {},
  requestId?: string,
  attempt?: number,
): ErrorFrame {
  const meta: FrameMeta = { ...extra, status: error.status, ...errorMeta(error) };
  if (attempt !== undefined) meta.attempt = attempt;
  return {
    data: encoder.encode(JSON.stringify(error)),
    headers: frameHeaders('error', meta, requestId, attempt),
    meta,
  };
}

/**
 * The GatewayError an `error` frame carries. A body that is not one (a peer speaking another protocol
 * version, a bug) becomes a 502 that says so, with the status from meta when it has one.
 */
export function readErrorFrame(msg: Pick<Msg, 'data'>, meta?: FrameMeta): GatewayError {
  try {
    const e = JSON.parse(decoder.decode(msg.data)) as Partial<GatewayError> | null;
    if (
      e !== null &&
      typeof e === 'object' &&
      typeof e.status === 'number' &&
      Number.isInteger(e.status) &&
      e.status >= 400 &&
      e.status <= 599 &&
      typeof e.message === 'string' &&
      typeof e.type === 'string'
    ) {
      return {
        status: e.status,
        message: e.message,
        type: e.type,
        param: typeof e.param === 'string' ? e.param : null,
        code: typeof e.code === 'string' ? e.code : null,
        retryAfter: typeof e.retryAfter === 'number' && e.retryAfter >= 0 ? e.retryAfter : undefined,
        retryable: e.retryable === true,
        ...(e.configFault === true && { configFault: true }),
        kind: typeof e.kind === 'string' ? e.kind : 'upstream_5xx',
      };
    }
  } catch {
    // fall through
  }
  const status = meta?.status !== undefined && meta.status >= 400 && meta.status <= 599 ? meta.status : 502;
  return {
    ...Errors.upstreamFailed('The request failed, and the failure could not be read. Retry the request.'),
    status,
  };
}

/** The frame's kind header. */
export function frameKind(msg: Pick<Msg, 'headers'>): string | undefined {
  return msg.headers?.get(H.frame) || undefined;
}

/** The frame's attempt number (0 when absent: a frame from the router itself, before any attempt). */
export function frameAttempt(msg: Pick<Msg, 'headers'>): number {
  const n = Number(msg.headers?.get(H.attempt));
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** FrameMeta of a final frame; undefined when absent or when its status is not one HTTP can carry. */
export function parseMeta(msg: Pick<Msg, 'headers'>): FrameMeta | undefined {
  const raw = msg.headers?.get(H.meta);
  if (!raw) return undefined;
  try {
    // Written by our translator or router from the same FrameMeta type; a schema pass here would only
    // cost time on every request. The status must still be one Node can write.
    const meta = JSON.parse(raw) as FrameMeta;
    const status = (meta as { status?: unknown } | null)?.status;
    return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599 ? meta : undefined;
  } catch {
    return undefined;
  }
}
