/**
 * The training worker's outgoing messages, gathered: a run reports a step record, layer records
 * and progress every step, hundreds of messages a second on a fast run, and each IPC send costs
 * both processes a serialization, a write and a wake-up (on a remote worker, the relay's share
 * was a third of a core, docs/benchmarks.md "Distributed"). Per-step messages wait up to
 * `delayMs` and leave together, as one envelope (common/worker-protocol.ts); any other message
 * (started, eval, event, finished, failed, ready) first sends what waits, in the same envelope, so
 * the order is kept and a run's end is never held back. Only the newest progress of an envelope is
 * kept: progress says where the run is now.
 */
import type { WorkerEnvelope, WorkerMessage } from '../../common/worker-protocol';

const perStep = new Set<WorkerMessage['type']>(['step', 'layers', 'progress']);

export class MessageCoalescer {
  private waiting: WorkerMessage[] = [];
  private progressAt = -1;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sendEnvelope: (envelope: WorkerEnvelope) => Promise<void>,
    private readonly delayMs = 40,
  ) {}

  /** Queues a per-step message, or sends everything with any other; resolves once the channel has taken what this call sent. */
  push(message: WorkerMessage): Promise<void> {
    if (message.type === 'progress' && this.progressAt >= 0) {
      this.waiting[this.progressAt] = message;
    } else {
      if (message.type === 'progress') this.progressAt = this.waiting.length;
      this.waiting.push(message);
    }
    if (!perStep.has(message.type)) return this.flush();
    this.timer ??= setTimeout(() => void this.flush(), this.delayMs);
    return Promise.resolve();
  }

  /** Sends what waits (nothing if nothing does). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const messages = this.waiting;
    this.waiting = [];
    this.progressAt = -1;
    if (messages.length === 0) return Promise.resolve();
    return this.sendEnvelope(messages.length === 1 ? messages[0]! : { type: 'batch', messages });
  }
}
