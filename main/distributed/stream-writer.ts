/**
 * A worker's writer for one run's stream: messages are gathered and appended as one entry per
 * batch (every `flushEveryMs`, or at once for a run's end), in order, each batch retried until
 * Redis has it — while Redis is away the batches wait here and in the connection's offline queue.
 * Progress messages are only for the live view: within a batch only the newest is kept.
 */
import type { Redis } from 'ioredis';
import { BATCH_FIELD, encodeBatch, type StreamMessage } from './run-stream';

const FLUSH_EVERY_MS = 100;
const MAX_BATCH = 2000;

export class StreamWriter {
  private batch: StreamMessage[] = [];
  private progressAt = -1;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** messages appended so far, by type (the tests compare them with what arrived) */
  readonly sent = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly onError: (error: Error) => void,
  ) {}

  push(message: StreamMessage): void {
    if (message.type === 'progress' && this.progressAt >= 0) {
      this.batch[this.progressAt] = message;
    } else {
      if (message.type === 'progress') this.progressAt = this.batch.length;
      this.batch.push(message);
    }
    const terminal = message.type === 'finished' || message.type === 'failed' || message.type === 'exit';
    if (terminal || this.batch.length >= MAX_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_EVERY_MS);
  }

  /** Appends what is gathered; resolves once every batch so far is in Redis. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.length > 0) {
      const batch = this.batch;
      this.batch = [];
      this.progressAt = -1;
      for (const m of batch) {
        const rows = m.type === 'layers' ? m.metrics.length : 1;
        this.sent.set(m.type, (this.sent.get(m.type) ?? 0) + rows);
      }
      const payload = encodeBatch(batch);
      this.chain = this.chain.then(() => this.append(payload));
    }
    return this.chain;
  }

  private async append(payload: string): Promise<void> {
    for (;;) {
      try {
        await this.redis.xadd(this.key, '*', BATCH_FIELD, payload);
        return;
      } catch (error) {
        this.onError(error as Error);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }
}
