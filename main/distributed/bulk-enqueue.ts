/**
 * Puts runs on the BullMQ queue in batches: every run the job runner starts in one tick (a sweep
 * of hundreds is started in one loop) goes in with one pipeline of existence checks, one of
 * stream preparation and BullMQ's `addBulk`, instead of four round trips and a script call each.
 */
import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { COORDINATOR_GROUP } from './redis-keys';
import type { JobData } from './run-stream';

export interface EnqueueRequest {
  runId: number;
  jobId: string;
  data: JobData;
  opts: JobsOptions;
  /** the run's stream (recreated empty with the coordinator's group) and keys to clear first */
  streamKey: string;
  staleKeys: string[];
}

interface Pending {
  request: EnqueueRequest;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** addBulk and pipelines are split into chunks of this many runs, to bound one reply's size */
const CHUNK = 1000;

export class BulkEnqueuer {
  private pending: Pending[] = [];

  /**
   * `removeStale(request)`: a job already under this id (left by another database that used the
   * queue) must go, or the new run would be ignored as a duplicate; it throws when it cannot.
   */
  constructor(
    private readonly redis: Redis,
    private readonly queue: Queue,
    private readonly removeStale: (request: EnqueueRequest) => Promise<void>,
  ) {}

  /** Resolves once the run's job is in the queue. */
  enqueue(request: EnqueueRequest): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => void this.flush());
      this.pending.push({ request, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    for (let i = 0; i < batch.length; i += CHUNK) await this.enqueueChunk(batch.slice(i, i + CHUNK));
  }

  private async enqueueChunk(chunk: Pending[]): Promise<void> {
    let ready = chunk;
    try {
      const exists = await this.redis.pipeline(chunk.map(({ request }) => ['exists', this.queue.toKey(request.jobId)])).exec();
      const stale = chunk.filter((_, i) => exists?.[i]?.[1] === 1);
      if (stale.length) {
        const failed = new Set<Pending>();
        for (const p of stale) {
          await this.removeStale(p.request).catch((error: unknown) => {
            failed.add(p);
            p.reject(error as Error);
          });
        }
        ready = chunk.filter((p) => !failed.has(p));
      }
      const prepare = this.redis.pipeline();
      for (const { request } of ready) {
        prepare.del(request.streamKey, ...request.staleKeys).xgroup('CREATE', request.streamKey, COORDINATOR_GROUP, '0', 'MKSTREAM');
      }
      const prepared = (await prepare.exec()) ?? [];
      const failure = prepared.find(([error]) => error && !/BUSYGROUP/.test(error.message));
      if (failure) throw failure[0]!;
      await this.queue.addBulk(ready.map(({ request }) => ({ name: 'run', data: request.data, opts: request.opts })));
      for (const p of ready) p.resolve();
    } catch (error) {
      for (const p of ready) p.reject(error as Error);
    }
  }
}
