/**
 * A worker's writer for one run's stream: messages are gathered and appended as one entry per
 * batch (every `flushEveryMs`, or at once for a run's end), in order, each batch retried until
 * Redis has it — while Redis is away the batches wait here and in the connection's offline queue.
 * Progress messages are only for the live view: within a batch only the newest is kept.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { encodeBatch, type EntryFields, type StreamMessage } from './run-stream';

const FLUSH_EVERY_MS = 100;
const MAX_BATCH = 2000;
const SENT_KEPT_MS = 86_400_000;

/**
 * One batch, at most once: XADD and the sent counts, unless this writer's batch `seq` is already
 * in (KEYS[1] the stream, KEYS[2] the sent hash; ARGV: writer, seq, kept ms, count of type/count
 * pairs, the pairs, then the entry's fields). A batch whose EXEC reply was lost with the
 * connection is retried; without the check Redis would hold it twice and count it twice.
 */
const APPEND_ONCE = `
local last = tonumber(redis.call('HGET', KEYS[2], 'seq:' .. ARGV[1]) or '-1')
local seq = tonumber(ARGV[2])
if last >= seq then return 0 end
local counted = tonumber(ARGV[4])
local fields = {}
for i = 5 + 2 * counted, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('XADD', KEYS[1], '*', unpack(fields))
for i = 0, counted - 1 do redis.call('HINCRBY', KEYS[2], ARGV[5 + 2 * i], ARGV[6 + 2 * i]) end
redis.call('HSET', KEYS[2], 'seq:' .. ARGV[1], seq)
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
`;

export class StreamWriter {
  private batch: StreamMessage[] = [];
  private progressAt = -1;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly writerId = randomUUID();
  private nextSeq = 0;

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
      const seq = this.nextSeq++;
      this.chain = this.chain.then(() => this.append(payload, sent, seq));
    }
    return this.chain;
  }

  private async append(payload: EntryFields, sent: Map<string, number>, seq: number): Promise<void> {
    const counts = [...sent].flatMap(([type, count]) => [type, String(count)]);
    for (;;) {
      try {
        await this.redis.eval(APPEND_ONCE, 2, this.key, this.sentKey, this.writerId, String(seq), String(SENT_KEPT_MS), String(sent.size), ...counts, ...payload);
        return;
      } catch (error) {
        this.onError(error as Error);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }
}
