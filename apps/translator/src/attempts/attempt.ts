import {
  MAX_TRAIL,
  type AttemptRecord,
  type GatewayError,
  type RouteTrail,
  type TokenUsage,
} from '@switchyard/contracts';
import { estimateUsage, type StreamState } from '@switchyard/providers';
import type { AttemptInput, AttemptOperation } from './attempt-operation';
import type { NatsRequest } from '@switchyard/nats';
import type { PreparedDeployment } from '../deployment-catalog.service';

/** One attempt of a request against one deployment, while it runs in this translator. */
export interface Attempt {
  request: NatsRequest;
  requestId: string;
  /** The router's attempt number (1, 2, ...), echoed on every frame. */
  attempt: number;
  /** The gateway's reply subject: data frames go there. */
  clientReply: string;
  prepared: PreparedDeployment;
  input: AttemptInput;
  /** How the attempt serves its client's API (attempt-operation.ts): builds the request, reads the answer. */
  op: AttemptOperation;
  /** performance.now() when the attempt arrived. */
  t0: number;
  abort: AbortController;
  timedOut: boolean;
  /** The attempt's final frame and outcome were sent (or are being sent): nothing more may be published. */
  settled: boolean;
  /** The stream's translator state once the stream started: usage and generated characters so far. */
  stream?: Readonly<StreamState>;
  /**
   * Content reached the client: the attempt committed. Before, a failure goes back to the router, which may
   * retry or fall back; after, a failure ends the client's stream.
   */
  committed: boolean;
  ttftMs?: number;
  /** The request's earlier attempts (H.trail), oldest first. */
  trail: RouteTrail;
  /** The attempt's position in the fallback chain (H.fallbackDepth), when not the group asked for. */
  fallbackDepth?: number;
  /** Its first chunk or part frame went out, with the route the gateway names in its response headers. */
  routeSent?: boolean;
}

/**
 * The route trail a request carries (H.trail): earlier attempts, as the router recorded them. A header that
 * is absent or not a trail reads as none; at most MAX_TRAIL entries are kept (the newest).
 */
export function readTrail(header: string): RouteTrail {
  if (header === '') return [];
  try {
    const v = JSON.parse(header) as unknown;
    if (!Array.isArray(v)) return [];
    const trail = v.filter(
      (r): r is AttemptRecord =>
        typeof r === 'object' &&
        r !== null &&
        Number.isInteger((r as AttemptRecord).attempt) &&
        typeof (r as AttemptRecord).deploymentId === 'string' &&
        Number.isInteger((r as AttemptRecord).status),
    );
    return trail.slice(-MAX_TRAIL);
  } catch {
    return [];
  }
}

/** The trail with this attempt's own record added: what its final frame reports. */
export function trailWith(
  trail: RouteTrail,
  a: { attempt: number; deploymentId: string; provider?: string },
  status: number,
  latencyMs: number | undefined,
  usage: TokenUsage | undefined,
  error?: GatewayError,
): RouteTrail {
  const record: AttemptRecord = { attempt: a.attempt, deploymentId: a.deploymentId, status };
  if (a.provider !== undefined) record.provider = a.provider;
  if (error !== undefined) record.errorKind = error.kind;
  if (latencyMs !== undefined) record.latencyMs = latencyMs;
  if (usage !== undefined) record.usage = usage;
  return [...trail, record].slice(-MAX_TRAIL);
}

/** Marks the attempt's ending as sent; false when it already was (by a cancel, or the normal ending). */
export function settle(a: Attempt): boolean {
  if (a.settled) return false;
  a.settled = true;
  return true;
}

/**
 * The attempt's usage as far as it went: what the upstream reported, else an estimate from characters
 * (the prompt, and what was generated so far). OpenAI reports usage only at the end of a stream, a call
 * aborted earlier reports none, and some compatible servers ignore stream_options: tokens the provider
 * processed are billed to us either way, so a final frame never reports zero for them.
 */
export function usageSoFar(a: Attempt): TokenUsage {
  return billedSoFar(a).usage;
}

/** usageSoFar, and whether it is an estimate. */
export function billedSoFar(a: Attempt): { usage: TokenUsage; estimated: boolean } {
  if (a.stream?.usage !== undefined) return { usage: a.stream.usage, estimated: false };
  return {
    usage: estimateUsage({ promptChars: a.input.summary.promptChars, completionChars: a.stream?.generatedChars ?? 0 }),
    estimated: true,
  };
}

/** The prompt's estimate: what a provider that received the request but answered nothing usable may bill. */
export function promptEstimate(a: Attempt): { usage: TokenUsage; estimated: boolean } {
  return { usage: estimateUsage({ promptChars: a.input.summary.promptChars, completionChars: 0 }), estimated: true };
}

export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
