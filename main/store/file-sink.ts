/**
 * Writes a large text file in chunks without holding it in memory, into `<path>.partial`
 * renamed over `path` on commit: a failed export never leaves a truncated file behind.
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

const CHUNK_CHARS = 1 << 20;

export class FileSink {
  private readonly fd: number;
  private readonly partial: string;
  private pending: string[] = [];
  private pendingChars = 0;

  constructor(readonly path: string) {
    this.partial = `${path}.partial`;
    this.fd = openSync(this.partial, 'w');
  }

  write(text: string): void {
    this.pending.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= CHUNK_CHARS) this.drain();
  }

  /** Writes what is left and moves the file into place. */
  commit(): void {
    this.drain();
    closeSync(this.fd);
    renameSync(this.partial, this.path);
  }

  /** Gives up: closes and removes the partial file. */
  abandon(): void {
    try {
      closeSync(this.fd);
    } finally {
      rmSync(this.partial, { force: true });
    }
  }

  private drain(): void {
    if (this.pending.length === 0) return;
    writeSync(this.fd, this.pending.join(''));
    this.pending = [];
    this.pendingChars = 0;
  }
}

/** Runs `fill` on a sink for `path`, committing on success and removing the partial file on failure. */
export function writeFileInChunks(path: string, fill: (sink: FileSink) => void): void {
  const sink = new FileSink(path);
  try {
    fill(sink);
  } catch (error) {
    sink.abandon();
    throw error;
  }
  sink.commit();
}
