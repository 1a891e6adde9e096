/**
 * `batchscope worker`: takes runs from the BullMQ queue and trains each in the same training
 * process a local run uses (main/worker/training-worker, forked; a slot's process is kept for
 * its next run, see training-process-pool.ts), relaying its messages to the run's Redis Stream
 * (see redis-executor.ts for the coordinator's side).
 *
 * What comes off the queue is data, never code: the spec is validated again here (parseRunSpec)
 * and the training process validates it once more; anything else in the job is ignored.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { parseRunSpec, SpecError, type DatasetSpec } from '../../common/spec';
import type { WorkerMessage } from '../../common/worker-protocol';
import type { WorkerHandle } from '../worker/fork-worker';
import { TrainingProcessPool } from '../worker/training-process-pool';
import { openRedis, probeRedis, redactRedisUrl, redactSecrets } from './redis-connection';
import { lockDurationFromEnv, MAX_STALLED_COUNT } from './redis-executor';
import { cancelChannel, cancelKey, DEFAULT_QUEUE, runStreamKey, sentKey } from './redis-keys';
import type { JobData } from './run-stream';
import { StreamWriter } from './stream-writer';
import { HEARTBEAT_EVERY_MS, removeHeartbeat, writeHeartbeat } from './worker-heartbeats';

export interface RemoteWorkerOptions {
  url: string;
  queue?: string;
  concurrency?: number;
  /** shown in the Runs view and the Workers panel; default hostname-pid */
  name?: string;
  log?: (line: string) => void;
  /** environment for the training processes (BATCHSCOPE_BACKEND, thread counts …) */
  env?: NodeJS.ProcessEnv;
  /**
   * a slot's training process serves the next run when the last one finished cleanly (default
   * true unless BATCHSCOPE_FRESH_PROCESSES=1; main/worker/training-process-pool.ts); false starts
   * a fresh process for every run
   */
  reuseProcesses?: boolean;
}

export interface RemoteWorker {
  readonly name: string;
  /** stops taking runs; running ones are cancelled and awaited unless `kill` */
  close(options?: { kill?: boolean }): Promise<void>;
}

/** The files a dataset spec names; the worker checks them before forking anything. */
function datasetFiles(dataset: DatasetSpec): string[] {
  switch (dataset.kind) {
    case 'csv':
      return [dataset.path];
    case 'idx':
      return [dataset.trainImages, dataset.trainLabels, dataset.testImages, dataset.testLabels].filter((f): f is string => f !== undefined);
    case 'cifar10':
      // without dir the coordinator fills in its downloaded copy before a run is queued
      return dataset.dir === undefined ? [] : [dataset.dir];
    default:
      return [];
  }
}

export async function startRemoteWorker(options: RemoteWorkerOptions): Promise<RemoteWorker> {
  await probeRedis(options.url);
  const queue = options.queue ?? DEFAULT_QUEUE;
  const host = hostname();
  const name = options.name ?? `${host}-${process.pid}`;
  const concurrency = options.concurrency ?? 1;
  const log = options.log ?? ((line: string) => console.error(`[batchscope worker ${name}] ${line}`));
  const redis = openRedis(options.url, `worker ${name}`, log);
  const subscriber = openRedis(options.url, `worker ${name} (cancel channel)`, () => undefined);
  const running = new Map<number, WorkerHandle>();
  const pool = new TrainingProcessPool({ env: options.env ?? {}, maxIdle: concurrency, ...(options.reuseProcesses === false ? { maxRunsPerProcess: 1 } : {}) });
  // one process per slot started now, so the first runs do not wait for one (not with fresh processes)
  pool.warm(concurrency);
  const stopRequests = new Map<number, 'cancel' | 'kill'>();

  const stopRun = (runId: number, how: 'cancel' | 'kill'): void => {
    stopRequests.set(runId, how);
    const handle = running.get(runId);
    if (!handle) return;
    if (how === 'kill') handle.kill('SIGKILL');
    else handle.cancel();
  };
  await subscriber.subscribe(cancelChannel(queue));
  subscriber.on('message', (_channel: string, text: string) => {
    try {
      const { runId, how } = JSON.parse(text) as { runId: number; how: 'cancel' | 'kill' };
      if (running.has(runId)) stopRun(runId, how === 'kill' ? 'kill' : 'cancel');
    } catch {
      // not ours
    }
  });

  // a beat at once when a run starts or ends, so the Workers panel shows it without waiting
  let closing = false;
  const beat = (): void => {
    if (closing) return;
    void writeHeartbeat(redis, queue, { name, host, pid: process.pid, concurrency, runIds: [...running.keys()] }).catch(() => undefined);
  };

  const train = async (job: Job<JobData>): Promise<void> => {
    const runId = Number(job.data?.runId);
    if (!Number.isInteger(runId) || runId <= 0) throw new Error(`job ${job.id} carries no run id`);
    // every worker lost mid-run left the job stalled once, and BullMQ put it back in the queue;
    // the coordinator set attempts = the spec's retries + 1
    const attempt = job.stalledCounter + 1;
    const attempts = Math.max(1, job.opts.attempts ?? 1);
    if (attempt > attempts) {
      throw new UnrecoverableError(`its worker was lost mid-run ${attempt - 1} time(s) and the spec allows ${attempts - 1} retr${attempts === 2 ? 'y' : 'ies'}`);
    }
    // a retry starts from scratch: what the lost attempt sent is no longer counted (the audit
    // trail compares the run's rows with what the attempt that ended it sent)
    if (attempt > 1) await redis.del(sentKey(queue, runId));
    const stream = new StreamWriter(redis, runStreamKey(queue, runId), sentKey(queue, runId), (error) => log(`run ${runId}: appending to its stream failed (${redactSecrets(error.message, options.url)}); retrying`));
    const fail = async (error: { name: string; message: string }): Promise<void> => {
      stream.push({ type: 'failed', error });
      stream.push({ type: 'exit', code: 0, signal: null, stderrTail: '' });
      await stream.flush();
    };
    stream.push({ type: 'assigned', worker: { name, host, pid: process.pid }, attempt });
    if (attempt > 1) log(`run ${runId}: attempt ${attempt} of ${attempts}, from scratch (the worker of the previous attempt was lost)`);

    let spec;
    try {
      spec = parseRunSpec(job.data.spec);
    } catch (error) {
      const e = error instanceof SpecError ? error : new Error(String(error));
      return fail({ name: e.name, message: `${e.message} (rejected by worker ${name} on ${host})` });
    }
    const missing = datasetFiles(spec.dataset).find((file) => !existsSync(file));
    if (missing) {
      return fail({ name: 'DatasetError', message: `${missing}: not found on worker ${name} (host ${host}); copy the dataset there or run this sweep on a worker that has it` });
    }
    const stopped = (await redis.get(cancelKey(queue, runId))) as 'cancel' | 'kill' | null;
    if (stopped) {
      stream.push({ type: 'exit', code: null, signal: null, stderrTail: `cancelled before worker ${name} started it` });
      return stream.flush();
    }

    let seq = 0;
    const relay = (message: WorkerMessage): void => {
      if (message.type === 'event') stream.push({ ...message, seq: seq++ });
      else if (message.type === 'failed') stream.push({ type: 'failed', error: { ...message.error, message: `${message.error.message} (on worker ${name}, host ${host})` } });
      else if (message.type !== 'ready') stream.push(message);
    };
    const handle = pool.start(spec, relay);
    running.set(runId, handle);
    beat();
    const early = stopRequests.get(runId);
    if (early) stopRun(runId, early);
    try {
      const exit = await handle.exited;
      stream.push({ type: 'exit', code: exit.code, signal: exit.signal, stderrTail: handle.stderrTail() });
      await stream.flush();
    } finally {
      running.delete(runId);
      stopRequests.delete(runId);
      beat();
    }
  };

  const lockDuration = lockDurationFromEnv();
  // BullMQ does not close a connection it was given: closed below
  const queueConnection = openRedis(options.url, `worker ${name} (queue)`, () => undefined);
  const worker = new Worker<JobData>(queue, train, {
    connection: queueConnection,
    concurrency,
    lockDuration,
    stalledInterval: Math.max(500, Math.floor(lockDuration / 2)),
    maxStalledCount: MAX_STALLED_COUNT,
    name,
  });
  worker.on('error', (error) => log(`queue: ${redactSecrets(error.message, options.url)}`));

  beat();
  const heartbeat = setInterval(beat, HEARTBEAT_EVERY_MS);
  log(`taking runs from queue '${queue}' on ${redactRedisUrl(options.url)}, ${concurrency} at a time`);

  return {
    name,
    async close(closeOptions = {}) {
      clearInterval(heartbeat);
      closing = true;
      const closed = worker.close(closeOptions.kill ?? false);
      for (const runId of running.keys()) stopRun(runId, closeOptions.kill ? 'kill' : 'cancel');
      await closed;
      await pool.close();
      await removeHeartbeat(redis, queue, name).catch(() => undefined);
      subscriber.disconnect();
      redis.disconnect();
      queueConnection.disconnect();
    },
  };
}
