/**
 * The coordinator's side of remote runs: a RunExecutor that hands each run to a BullMQ queue and
 * follows it through the run's Redis Stream.
 *
 * Delivery: workers append batches of worker-protocol messages to `<queue>:run:<id>:stream`. One
 * loop reads every followed stream with a consumer group, gives the messages to the job runner
 * (which buffers them in the SQLite metric writer), commits them in one transaction (`commit`),
 * and only then acknowledges and deletes the entries (XACK + XDEL: acknowledged entries are not
 * kept). A coordinator killed between the commit and the XACK re-reads those entries when it is
 * restarted (`attach` starts at the group's pending entries); writing them again is a no-op
 * because metric rows are keyed (run, [layer,] step) and events by their per-run `seq`.
 *
 * Lost workers: BullMQ locks a job while its worker renews the lock. A worker that dies (SIGKILL,
 * machine gone) stops renewing; the stalled-job check (run here too, so it works when no worker
 * is left) puts the job back in the queue after the lock duration, counting the stall. The next
 * worker to take it compares the stalls with the job's attempts (the spec's `retries` + 1): with
 * attempts left it starts the run again from scratch (`assigned` with attempt > 1: the runner
 * deletes what the lost attempt stored first); without, it fails the job, and the loop here sees
 * the failed job, reads what is left in the stream, and ends the run `interrupted` with every
 * metric received kept.
 */
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RunSpec } from '../../common/spec';
import type { WorkerMessage } from '../../common/worker-protocol';
import type { Execution, ExecutionExit, RunExecutor } from '../runner/executor';
import { openRedis, probeRedis, redactRedisUrl, redactSecrets } from './redis-connection';
import { cancelChannel, cancelKey, COORDINATOR_CONSUMER, COORDINATOR_GROUP, DEFAULT_QUEUE, jobIdOf, runStreamKey, runStreamPattern, sentKey } from './redis-keys';
import { BulkEnqueuer } from './bulk-enqueue';
import { decodeEntry, type JobData } from './run-stream';
import { readHeartbeats, type HeartbeatReading } from './worker-heartbeats';

export interface RedisExecutorOptions {
  url: string;
  queue?: string;
  /** commits what the runner has buffered to SQLite; called before entries are acknowledged */
  commit: () => void;
  log?: (line: string) => void;
  /** how long a worker's lock on a run lasts without renewal; default BATCHSCOPE_REDIS_LOCK_MS or 30 000 */
  lockDurationMs?: number;
}

interface Followed {
  runId: number;
  key: string;
  jobId: string;
  spec: RunSpec;
  onMessage: (message: WorkerMessage) => void;
  resolve: (exit: ExecutionExit) => void;
  /** the stream id to read from: '0' and on re-reads the pending entries, '>' once they are done */
  cursor: string;
  /** the group exists and the job was enqueued */
  ready: boolean;
  /** settles once the job is in the queue (or could not be put there); a cancel waits for it */
  enqueued: Promise<void>;
  exit: ExecutionExit | null;
  /** why the run was lost (its job failed without an exit entry); it ends once its stream is drained */
  lost: string | null;
  worker: string | null;
  ended: boolean;
}

/**
 * Stalls BullMQ tolerates before it fails a job by itself; the spec's `retries` (≤ 10) is the
 * real limit, enforced by the worker that takes a stalled job (remote-worker.ts).
 */
export const MAX_STALLED_COUNT = 10;

const READ_COUNT = 5000;
const BLOCK_MS = 250;
const JOB_CHECK_EVERY_MS = 1000;

export function lockDurationFromEnv(): number {
  const value = Number(process.env.BATCHSCOPE_REDIS_LOCK_MS);
  return Number.isInteger(value) && value >= 1000 ? value : 30_000;
}

/** XREADGROUP's reply read as Buffers (the layer values are binary): [stream, [id, fields][]][] */
type XReadReply = [Buffer, [Buffer, Buffer[] | null][]][] | null;

/** One job per run, under a fixed id; attempts = the spec's retries + 1 (see MAX_STALLED_COUNT). */
function jobOptions(followed: Pick<Followed, 'jobId' | 'spec'>) {
  return { jobId: followed.jobId, attempts: (followed.spec.retries ?? 0) + 1, removeOnComplete: { count: 10_000 }, removeOnFail: { count: 10_000 } };
}

export class RedisExecutor implements RunExecutor {
  readonly runsOutliveCoordinator = true;
  readonly queueName: string;
  private readonly queue: Queue;
  private readonly stalledChecker: Worker;
  private readonly commands: Redis;
  private readonly reader: Redis;
  /** BullMQ does not close connections it was given */
  private readonly queueConnections: Redis[];
  private readonly followed = new Map<string, Followed>();
  private readonly log: (line: string) => void;
  private closed = false;
  /**
   * Set when the reader reconnects or a read fails: Redis may have executed a read whose reply
   * never arrived (ioredis re-sends commands left unanswered by a dropped connection), leaving
   * its entries pending for this consumer, where a '>' read never returns them.
   */
  private rereadPending = false;
  private lastJobCheckMs = 0;
  private readonly loop: Promise<void>;
  private readonly enqueuer: BulkEnqueuer;

  constructor(private readonly options: RedisExecutorOptions) {
    this.queueName = options.queue ?? DEFAULT_QUEUE;
    this.log = options.log ?? ((line) => console.error(`[batchscope] ${line}`));
    const lockDuration = options.lockDurationMs ?? lockDurationFromEnv();
    this.commands = openRedis(options.url, 'coordinator', this.log);
    this.reader = openRedis(options.url, 'coordinator (stream reader)', () => undefined);
    let connectedOnce = false;
    this.reader.on('ready', () => {
      if (connectedOnce) this.rereadPending = true;
      connectedOnce = true;
    });
    this.queueConnections = [openRedis(options.url, 'coordinator (queue)', () => undefined), openRedis(options.url, 'coordinator (stalled check)', () => undefined)];
    this.queue = new Queue(this.queueName, { connection: this.queueConnections[0]! });
    this.queue.on('error', () => undefined);
    this.stalledChecker = new Worker(this.queueName, null, {
      connection: this.queueConnections[1]!,
      autorun: false,
      lockDuration,
      stalledInterval: Math.max(500, Math.floor(lockDuration / 2)),
      maxStalledCount: MAX_STALLED_COUNT,
    });
    this.stalledChecker.on('error', () => undefined);
    void this.stalledChecker.startStalledCheckTimer().catch(() => undefined);
    this.enqueuer = new BulkEnqueuer(this.commands, this.queue, (request) => this.removeStaleJob(request.jobId, request.runId));
    this.loop = this.readLoop();
  }

  start(spec: RunSpec, onMessage: (message: WorkerMessage) => void, context: { runId: number }): Execution {
    const { followed, execution } = this.follow(context.runId, spec, onMessage, '>');
    const data: JobData = { runId: context.runId, spec };
    followed.enqueued = this.enqueuer
      .enqueue({ runId: followed.runId, jobId: followed.jobId, data, opts: jobOptions(followed), streamKey: followed.key, staleKeys: [sentKey(this.queueName, followed.runId), cancelKey(this.queueName, followed.runId)] })
      .then(() => void (followed.ready = true))
      .catch((error: unknown) => {
        followed.ready = true;
        followed.lost = `could not enqueue the run on ${redactRedisUrl(this.options.url)}: ${redactSecrets((error as Error).message, this.options.url)}`;
      });
    return execution;
  }

  attach(runId: number, spec: RunSpec, onMessage: (message: WorkerMessage) => void): Execution {
    const { followed, execution } = this.follow(runId, spec, onMessage, '0');
    void this.ensureGroup(followed.key)
      .catch((error: unknown) => this.log(`cannot follow run ${runId}: ${redactSecrets((error as Error).message, this.options.url)}`))
      .finally(() => void (followed.ready = true));
    return execution;
  }

  /** Deletes the streams of runs nobody follows (left by a coordinator killed after it recorded their end). */
  async forgetStreamsExcept(runIds: ReadonlySet<number>): Promise<void> {
    const pattern = runStreamPattern(this.queueName);
    let cursor = '0';
    do {
      const [next, keys] = await this.commands.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      const stale = keys.filter((key) => !runIds.has(Number(key.slice(this.queueName.length + 5, -7))));
      if (stale.length) await this.commands.del(...stale);
    } while (cursor !== '0');
  }

  /** The workers beating on this queue (see worker-heartbeats.ts); rejects when Redis does not answer within `timeoutMs`. */
  async listWorkers(timeoutMs = 2000): Promise<HeartbeatReading[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis at ${redactRedisUrl(this.options.url)} did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([readHeartbeats(this.commands, this.queueName), timeout]);
    } catch (error) {
      throw new Error(redactSecrets((error as Error).message, this.options.url));
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reader.disconnect();
    await this.loop;
    await Promise.allSettled([this.stalledChecker.close(true), this.queue.close()]);
    this.commands.disconnect();
    for (const connection of this.queueConnections) connection.disconnect();
  }

  private follow(runId: number, spec: RunSpec, onMessage: (message: WorkerMessage) => void, cursor: string): { followed: Followed; execution: Execution } {
    let resolve!: (exit: ExecutionExit) => void;
    const exited = new Promise<ExecutionExit>((r) => (resolve = r));
    const followed: Followed = {
      runId,
      key: runStreamKey(this.queueName, runId),
      jobId: jobIdOf(runId),
      spec,
      onMessage,
      resolve,
      cursor,
      ready: false,
      enqueued: Promise.resolve(),
      exit: null,
      lost: null,
      worker: null,
      ended: false,
    };
    this.followed.set(followed.key, followed);
    const stop = (how: 'cancel' | 'kill'): void => void this.stop(followed, how).catch((error: unknown) => this.log(`cannot ${how} run ${runId}: ${redactSecrets((error as Error).message, this.options.url)}`));
    return { followed, execution: { pid: null, cancel: () => stop('cancel'), kill: () => stop('kill'), exited } };
  }

  /**
   * A run still waiting in the queue is removed from it (it ends at once); a running one is told
   * through a pub/sub message its worker listens to, and a key a worker checks before starting it.
   */
  private async stop(followed: Followed, how: 'cancel' | 'kill'): Promise<void> {
    await followed.enqueued;
    await this.commands.set(cancelKey(this.queueName, followed.runId), how, 'EX', 86_400);
    await this.commands.publish(cancelChannel(this.queueName), JSON.stringify({ runId: followed.runId, how }));
    const job = await this.queue.getJob(followed.jobId);
    if (job && ['waiting', 'delayed', 'prioritized', 'waiting-children'].includes(await job.getState())) {
      try {
        await job.remove();
      } catch {
        return; // a worker took it meanwhile: the published message reaches it
      }
      if (!followed.ended) {
        followed.ended = true;
        followed.resolve({ code: null, signal: null, stderrTail: '' });
        this.followed.delete(followed.key);
        await this.commands.del(followed.key);
      }
    }
  }

  /**
   * A run starts once, so a job or stream already under its id belongs to another database that
   * used this queue before (run ids restart at 1 in a new file): it is removed, or the new run
   * would be ignored as a duplicate job. A job of another coordinator that is still active cannot
   * be removed: that is two coordinators on one queue, which needs distinct --queue names.
   */
  private async removeStaleJob(jobId: string, runId: number): Promise<void> {
    const stale = await this.queue.getJob(jobId);
    if (!stale) return;
    try {
      await stale.remove();
    } catch (error) {
      throw new Error(
        `queue '${this.queueName}' already has an active run ${runId} of another coordinator; give each database its own queue (--queue NAME, on the coordinator and its workers): ${(error as Error).message}`,
      );
    }
  }

  private async ensureGroup(key: string): Promise<void> {
    try {
      await this.commands.xgroup('CREATE', key, COORDINATOR_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test((error as Error).message)) throw error;
    }
  }

  private async readLoop(): Promise<void> {
    while (!this.closed) {
      const ready = [...this.followed.values()].filter((f) => f.ready && !f.ended);
      if (this.rereadPending) {
        this.rereadPending = false;
        for (const f of this.followed.values()) f.cursor = '0';
      }
      if (ready.length === 0) {
        await new Promise((r) => setTimeout(r, 100));
      } else {
        const rereading = ready.some((f) => f.cursor !== '>');
        let reply: XReadReply;
        try {
          reply = (await this.reader.callBuffer(
            'XREADGROUP',
            'GROUP',
            COORDINATOR_GROUP,
            COORDINATOR_CONSUMER,
            'COUNT',
            READ_COUNT,
            ...(rereading ? [] : ['BLOCK', BLOCK_MS]),
            'STREAMS',
            ...ready.map((f) => f.key),
            ...ready.map((f) => f.cursor),
          )) as XReadReply;
        } catch (error) {
          if (this.closed) break;
          const message = (error as Error).message;
          // a stream deleted under us (Redis restarted without persistence, or FLUSHALL): recreate its group
          if (/NOGROUP/.test(message)) await Promise.allSettled(ready.map((f) => this.ensureGroup(f.key)));
          else await new Promise((r) => setTimeout(r, 500));
          this.rereadPending = true;
          continue;
        }
        try {
          await this.ingest(ready, reply);
        } catch (error) {
          this.log(`remote runs: ${redactSecrets((error as Error).message, this.options.url)}; re-reading unacknowledged entries`);
          for (const f of ready) f.cursor = '0';
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      if (!this.closed && Date.now() - this.lastJobCheckMs >= JOB_CHECK_EVERY_MS) {
        this.lastJobCheckMs = Date.now();
        await this.checkJobs().catch(() => undefined);
      }
    }
  }

  private async ingest(ready: Followed[], reply: XReadReply): Promise<void> {
    const quiet = new Set(ready);
    const acks: { followed: Followed; ids: string[] }[] = [];
    const answered = new Set<string>();
    for (const [keyBytes, entries] of reply ?? []) {
      const key = keyBytes.toString();
      const followed = this.followed.get(key);
      if (!followed) continue;
      answered.add(key);
      if (entries.length === 0) {
        if (followed.cursor !== '>') {
          // the re-read of pending entries is done; entries never delivered may still wait
          // behind them, so the stream is not known to be drained until a '>' read comes back empty
          followed.cursor = '>';
          quiet.delete(followed);
        }
        continue;
      }
      quiet.delete(followed);
      const ids: string[] = [];
      for (const [idBytes, fields] of entries) {
        const id = idBytes.toString();
        ids.push(id);
        if (followed.cursor !== '>') followed.cursor = id;
        for (const message of decodeEntry(fields)) {
          if (message.type === 'exit') followed.exit = { code: message.code, signal: message.signal, stderrTail: message.stderrTail };
          else {
            if (message.type === 'assigned') followed.worker = `${message.worker.name} on ${message.worker.host}`;
            followed.onMessage(message);
          }
        }
      }
      acks.push({ followed, ids });
    }
    for (const followed of ready) {
      if (followed.cursor !== '>' && !answered.has(followed.key)) {
        followed.cursor = '>';
        quiet.delete(followed);
      }
    }
    this.options.commit();
    const ended: Followed[] = [];
    for (const followed of ready) {
      if (followed.ended) continue;
      if (followed.exit) {
        followed.ended = true;
        followed.resolve(followed.exit);
        ended.push(followed);
      } else if (followed.lost && quiet.has(followed) && followed.cursor === '>') {
        followed.ended = true;
        followed.resolve({ code: null, signal: null, stderrTail: '', interrupted: followed.lost });
        ended.push(followed);
      }
    }
    // let the runner record the ends in SQLite before the entries that carried them are deleted
    if (ended.length) await new Promise((r) => setImmediate(r));
    if (acks.length || ended.length) {
      const multi = this.commands.multi();
      for (const { followed, ids } of acks) multi.xack(followed.key, COORDINATOR_GROUP, ...ids).xdel(followed.key, ...ids);
      for (const followed of ended) multi.del(followed.key, cancelKey(this.queueName, followed.runId));
      await multi.exec();
    }
    for (const followed of ended) this.followed.delete(followed.key);
  }

  /** Notices runs whose job failed (a stalled, i.e. lost, worker) or vanished. */
  private async checkJobs(): Promise<void> {
    const candidates = [...this.followed.values()].filter((f) => f.ready && !f.ended && !f.lost && !f.exit);
    const states = await Promise.all(candidates.map((f) => this.queue.getJobState(f.jobId)));
    for (const [i, followed] of candidates.entries()) {
      const state = states[i];
      if (state === 'failed') {
        const job = await this.queue.getJob(followed.jobId);
        const reason = job?.failedReason ? redactSecrets(job.failedReason, this.options.url) : 'it failed';
        followed.lost = `WorkerLost: the worker${followed.worker ? ` (${followed.worker})` : ''} stopped without reporting back: ${reason}. Metrics received until then are kept.`;
      } else if (state === 'unknown') {
        // enqueued by a coordinator that was killed before the job was added: add it now
        const data: JobData = { runId: followed.runId, spec: followed.spec };
        await this.queue.add('run', data, jobOptions(followed));
      }
    }
  }
}

/** Connects (failing with a clear RedisConfigError on a wrong password or no server), then returns the executor. */
export async function createRedisExecutor(options: RedisExecutorOptions): Promise<RedisExecutor> {
  await probeRedis(options.url);
  return new RedisExecutor(options);
}
