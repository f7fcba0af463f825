import { Dispatcher } from 'undici';
import { FAKE_ORIGIN, serveFake } from '@switchyard/providers';

/**
 * The built-in fake provider's origin, as an undici dispatcher: requests to FAKE_ORIGIN are answered in
 * process by the fake responder, through the same request path (and the same response body handling)
 * as any HTTP upstream, so the translator has no in-process branch.
 */
export class InProcessOrigin extends Dispatcher {
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    // undici's request API hands us its legacy handler (onConnect / onHeaders / onData / onComplete).
    const h = handler as LegacyHandler;
    let aborted = false;
    try {
      h.onConnect?.(() => {
        aborted = true;
      });
      if (aborted) return true;
      const body = options.body;
      const reply = serveFake({
        url: `${FAKE_ORIGIN}${options.path}`,
        method: options.method === 'GET' ? 'GET' : 'POST',
        headers: {},
        body: typeof body === 'string' || body instanceof Uint8Array ? body : '',
      });
      const raw: Buffer[] = [];
      for (const [k, v] of Object.entries(reply.headers)) raw.push(Buffer.from(k), Buffer.from(v));
      h.onHeaders?.(reply.status, raw, () => undefined, '');
      for (const chunk of reply.chunks) {
        if (aborted) return true;
        h.onData?.(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      }
      if (!aborted) h.onComplete?.([]);
    } catch (e) {
      h.onError?.(e as Error);
    }
    return true;
  }

  override close(): Promise<void> {
    return Promise.resolve();
  }

  override destroy(): Promise<void> {
    return Promise.resolve();
  }
}

interface LegacyHandler {
  onConnect?(abort: (err?: Error) => void): void;
  onHeaders?(status: number, headers: Buffer[], resume: () => void, statusText: string): boolean;
  onData?(chunk: Buffer): boolean;
  onComplete?(trailers: Buffer[]): void;
  onError?(err: Error): void;
}
