/** One Server-Sent Event. `event` is '' when the stream did not name it (the spec's default "message"). */
export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

const LF = 10;
const CR = 13;

/**
 * Incremental SSE parser (WHATWG event-stream rules): feed it body pieces as they arrive, in any split.
 * Multi-byte UTF-8 characters split across pieces are decoded correctly (streaming TextDecoder); lines end
 * with \n, \r\n or \r, even when the \r and \n arrive in different pieces; comment lines (`:`) are skipped;
 * several `data:` lines join with \n.
 */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  /** Text after the last line break seen; never contains a line break. */
  private rest = '';
  /** The previous piece ended with \r: a \n at the start of the next piece belongs to that line break. */
  private pendingCr = false;
  private data = '';
  private hasData = false;
  private eventName = '';
  private lastId: string | undefined;

  /** Feeds one body piece; returns the events it completed (often none or one). */
  push(piece: Uint8Array | string): SseEvent[] {
    const text = typeof piece === 'string' ? piece : this.decoder.decode(piece, { stream: true });
    const out: SseEvent[] = [];
    this.scan(text, out);
    return out;
  }

  /**
   * The body ended. Completes a last line and event that were not terminated by a blank line: the spec
   * drops such an event, but some servers end with `data: [DONE]\n` alone, and losing it would be worse.
   */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    this.scan(this.decoder.decode(), out);
    if (this.rest.length > 0) {
      this.line(this.rest, out);
      this.rest = '';
    }
    this.dispatch(out);
    return out;
  }

  private scan(text: string, out: SseEvent[]): void {
    let from = 0;
    if (this.pendingCr && text.length > 0) {
      this.pendingCr = false;
      if (text.charCodeAt(0) === LF) from = 1;
    }
    let start = from;
    const n = text.length;
    for (let i = from; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c !== LF && c !== CR) continue;
      let line = text.slice(start, i);
      if (this.rest.length > 0) {
        line = this.rest + line;
        this.rest = '';
      }
      this.line(line, out);
      if (c === CR) {
        if (i + 1 < n) {
          if (text.charCodeAt(i + 1) === LF) i++;
        } else {
          this.pendingCr = true;
        }
      }
      start = i + 1;
    }
    if (start < n) this.rest += text.slice(start);
  }

  private line(line: string, out: SseEvent[]): void {
    if (line.length === 0) {
      this.dispatch(out);
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) return;
    const colon = line.indexOf(':');
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (field) {
      case 'data':
        if (this.hasData) this.data += '\n' + value;
        else {
          this.data = value;
          this.hasData = true;
        }
        break;
      case 'event':
        this.eventName = value;
        break;
      case 'id':
        if (value.indexOf('\0') === -1) this.lastId = value;
        break;
      default:
        // `retry` and unknown fields do not matter to a server-side consumer.
        break;
    }
  }

  private dispatch(out: SseEvent[]): void {
    if (this.hasData) out.push({ event: this.eventName, data: this.data, id: this.lastId });
    this.data = '';
    this.hasData = false;
    this.eventName = '';
  }
}
