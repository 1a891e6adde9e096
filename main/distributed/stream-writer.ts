/**
 * A worker's writer for one run's stream: messages are gathered and appended as one entry per
 * batch (every `flushEveryMs`, or at once for a run's end), in order, each batch retried until
 * Redis has it — while Redis is away the batches wait here and in the connection's offline queue.
 * Progress messages are only for the live view: within a batch only the newest is kept.
 */
import type { Redis } from 'ioredis';
import { encodeBatch, type EntryFields, type StreamMessage } from './run-stream';

const FLUSH_EVERY_MS = 100;
const MAX_BATCH = 2000;
const SENT_KEPT_MS = 86_400_000;

export class StreamWriter {
  private batch: StreamMessage[] = [];
  private progressAt = -1;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  /**
   * `sentKey`: a hash counting, by message type, the records appended (layer records one by one),
   * updated atomically with each append and kept for a day: what a worker sent, to audit what
   * arrived in the database against (the fault tests do).
   */
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly sentKey: string,
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
      const sent = new Map<string, number>();
      for (const m of batch) sent.set(m.type, (sent.get(m.type) ?? 0) + (m.type === 'layers' ? m.metrics.length : 1));
      const payload = encodeBatch(batch);
      this.chain = this.chain.then(() => this.append(payload, sent));
    }
    return this.chain;
  }

  private async append(payload: EntryFields, sent: Map<string, number>): Promise<void> {
    for (;;) {
      try {
        const multi = this.redis.multi().xadd(this.key, '*', ...payload);
        for (const [type, count] of sent) multi.hincrby(this.sentKey, type, count);
        const results = await multi.pexpire(this.sentKey, SENT_KEPT_MS).exec();
        const failed = results?.find(([error]) => error);
        if (failed) throw failed[0]!;
        return;
      } catch (error) {
        this.onError(error as Error);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }
}
