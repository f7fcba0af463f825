import { Inject, Injectable } from '@nestjs/common';
import type { UpstreamRequest } from '@switchyard/providers';
import type { PreparedDeployment } from '../deployment-catalog.service';
import { UpstreamPools } from './upstream-pools.service';

/** An upstream answer: status, headers and the body as it arrives. */
export interface UpstreamReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Uint8Array>;
  /** Releases an unread body, so the socket is freed. */
  discard: () => void;
}

/** Performs the HTTP requests adapters describe, through the origin's keep-alive pool. */
@Injectable()
export class UpstreamClient {
  constructor(@Inject(UpstreamPools) private readonly pools: UpstreamPools) {}

  /** Transport failures (refused, reset, aborted...) come back as the Error rather than thrown. */
  async call(
    prepared: PreparedDeployment,
    request: UpstreamRequest,
    signal: AbortSignal,
  ): Promise<UpstreamReply | Error> {
    if (request.url !== prepared.lastUrl) {
      const u = new URL(request.url);
      prepared.origin = u.origin;
      prepared.path = `${u.pathname}${u.search}`;
      prepared.lastUrl = request.url;
      prepared.ctx.origin = u.origin;
    }
    try {
      const res = await this.pools.get(prepared.origin, prepared.deployment.id).request({
        path: prepared.path,
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal,
      });
      return {
        status: res.statusCode,
        headers: res.headers,
        body: res.body,
        discard: () => void res.body.dump().catch(() => undefined),
      };
    } catch (e) {
      return e as Error;
    }
  }
}

/**
 * The body's bytes, at most about `limit` of them. Past the limit, 'drop' keeps reading (so the connection
 * can be reused) and returns what it kept; 'stop' stops reading and returns undefined.
 */
export async function readAll(body: AsyncIterable<Uint8Array>, limit: number, overflow: 'drop'): Promise<Buffer>;
export async function readAll(
  body: AsyncIterable<Uint8Array>,
  limit: number,
  overflow: 'stop',
): Promise<Buffer | undefined>;
export async function readAll(
  body: AsyncIterable<Uint8Array>,
  limit: number,
  overflow: 'drop' | 'stop',
): Promise<Buffer | undefined> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const piece of body) {
    if (size >= limit) continue;
    parts.push(piece);
    size += piece.byteLength;
    if (size > limit && overflow === 'stop') return undefined;
  }
  if (parts.length === 1) {
    const only = parts[0]!;
    return Buffer.isBuffer(only) ? only : Buffer.from(only.buffer, only.byteOffset, only.byteLength);
  }
  return Buffer.concat(parts);
}
