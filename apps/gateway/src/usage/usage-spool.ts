import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * An append-only file of usage events JetStream did not take (NATS unreachable, the stream full): one JSON
 * event per line, fsync'ed before the append returns, so a gateway that stops or crashes during an outage
 * loses nothing. `replay` publishes the lines in the order they were written, each awaited (JetStream's ack),
 * and remembers how far it got in a sidecar `.offset` file, so a restart resumes there (a line published
 * twice is deduplicated by its message id, then by spend's ledger). The file is removed once all of it went out.
 */
export class UsageSpool {
  private readonly offsetPath: string;
  private replaying = false;

  constructor(readonly path: string) {
    this.offsetPath = `${path}.offset`;
  }

  static forInstance(dir: string, instanceId: string | undefined): UsageSpool {
    return new UsageSpool(join(dir, `usage-${instanceId ?? 'gateway'}.jsonl`));
  }

  /** Appends events (serialised JSON, no newline) and syncs them to disk. Throws when the disk refuses. */
  append(lines: readonly string[]): void {
    if (lines.length === 0) return;
    mkdirSync(dirname(this.path), { recursive: true });
    const fd = openSync(this.path, 'a');
    try {
      writeSync(fd, lines.map((l) => `${l}\n`).join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Ends a line a crash cut short, so events appended after it are not glued to it. Run at startup. */
  repairTail(): void {
    if (!existsSync(this.path)) return;
    const buf = readFileSync(this.path);
    if (buf.length > 0 && buf[buf.length - 1] !== 0x0a) this.append(['']);
  }

  /** Bytes waiting to be replayed. */
  pendingBytes(): number {
    if (!existsSync(this.path)) return 0;
    return Math.max(0, statSync(this.path).size - this.readOffset());
  }

  /**
   * Publishes every spooled line in order; stops at the first that fails (it is tried first next time).
   * Resolves true when the spool is empty. One replay runs at a time.
   */
  async replay(publish: (line: string) => Promise<void>): Promise<boolean> {
    if (this.replaying) return false;
    this.replaying = true;
    try {
      for (;;) {
        if (!existsSync(this.path)) return true;
        let offset = this.readOffset();
        const buf = readFileSync(this.path);
        if (offset >= buf.length) {
          // Everything went out and nothing was appended meanwhile (append and this check share the thread).
          this.remove();
          return true;
        }
        // Appends are synchronous and whole, and repairTail() closes a line torn by a crash, so the file
        // always ends with a newline here.
        while (offset < buf.length) {
          let nl = buf.indexOf(0x0a, offset);
          if (nl === -1) nl = buf.length;
          const line = buf.subarray(offset, nl).toString('utf8');
          if (line.trim() !== '') await publish(line);
          offset = nl + 1;
          this.writeOffset(offset);
        }
      }
    } finally {
      this.replaying = false;
    }
  }

  private readOffset(): number {
    try {
      const n = Number(readFileSync(this.offsetPath, 'utf8'));
      return Number.isSafeInteger(n) && n >= 0 ? n : 0;
    } catch {
      return 0;
    }
  }

  private writeOffset(offset: number): void {
    // Written whole then renamed, so a crash never leaves a half-written offset.
    const tmp = `${this.offsetPath}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, String(offset));
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.offsetPath);
  }

  private remove(): void {
    for (const p of [this.path, this.offsetPath]) {
      try {
        unlinkSync(p);
      } catch {
        // already gone
      }
    }
  }
}
