/**
 * The backend API: implements the contract over the SQLite store and the job
 * runner. Electron IPC, the local HTTP server and the CLI are thin transports
 * over the object this returns.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { ApiEvent, BatchscopeApi } from '../../common/api-contract';
import { NotFoundError } from '../../common/api-errors';
import type { ResourceBudget } from '../../common/resource-budget';
import { createChildProcessExecutor } from '../runner/child-process-executor';
import type { RunExecutor } from '../runner/executor';
import { JobRunner } from '../runner/job-runner';
import { createRedisExecutor, RedisExecutor } from '../distributed/redis-executor';
import { datasetsDirFor } from '../download/cifar10-download';
import { StoreError } from '../store/store-error';
import { openStore, type Store } from '../store/open-store';
import type { RunRecord as StoredRun } from '../store/runs';
import type { ApiContext } from './api-context';
import { datasetMethods } from './dataset-methods';
import { experimentMethods } from './experiment-methods';
import { markDeadRunsInterrupted } from './interrupted-runs';
import { machineBudget } from './machine-budget';
import { metricMethods } from './metric-methods';
import { toRunRecord } from './records';
import { createRunnerStore } from './runner-store';
import { runMethods } from './run-methods';
import { workerMethods } from './worker-methods';

export interface ApiOptions {
  dbPath: string;
  /** parallel runs; default: the number of cores */
  concurrency?: number;
  /** cores the runs share, threads included (default: the machine's); see JobRunnerOptions.cores */
  cores?: number;
  executor?: RunExecutor;
  /** start queued runs left from an earlier session (default true) */
  resumeQueued?: boolean;
  /** what one run may plan to use; default: machineBudget() (half the memory, overridable by environment) */
  budget?: ResourceBudget;
  /**
   * true: browse only (list, show, export, report), nothing is written and nothing runs;
   * 'auto': read-only when the file exists but cannot be written (the app, serve, read-only CLI commands)
   */
  readOnly?: boolean | 'auto';
  /**
   * Hand runs to a BullMQ queue on this Redis (redis://[user:password@]host:port, rediss:// for
   * TLS) for `batchscope worker` processes to train, instead of local child processes.
   */
  redisUrl?: string;
  /** the queue name (and Redis key prefix) for remote runs; default 'batchscope' */
  queue?: string;
}

/** Remote runs are limited by the workers' concurrency, not here: every queued run is enqueued. */
const REMOTE_IN_FLIGHT = 100_000;

export interface BatchscopeBackend extends BatchscopeApi {
  subscribe(listener: (event: ApiEvent) => void): () => void;
  /** resolves when no run is executing */
  idle(): Promise<void>;
  /** resolves when no run is executing or queued (or the runner stopped: see runner.failure) */
  drained(): Promise<void>;
  close(options?: { kill?: boolean }): Promise<void>;
  readonly store: Store;
  readonly runner: JobRunner;
}

export async function createApi(options: ApiOptions): Promise<BatchscopeBackend> {
  const budget = options.budget ?? machineBudget();
  const store = openApiStore(options.dbPath, options.readOnly ?? false);
  if (!store.readonly) markDeadRunsInterrupted(store);
  const listeners = new Set<(event: ApiEvent) => void>();
  const emit = (event: ApiEvent): void => listeners.forEach((l) => l(event));
  // a timer-driven metric flush that fails (disk full) stops the runner like any other store failure
  const runnerStore = createRunnerStore(store, (error) => runner.storeFailed(error));
  let executor = options.executor;
  if (!executor && options.redisUrl) {
    try {
      executor = await createRedisExecutor({ url: options.redisUrl, ...(options.queue ? { queue: options.queue } : {}), commit: () => runnerStore.flush() });
    } catch (error) {
      store.close();
      throw error;
    }
  }
  const concurrency = options.concurrency ?? (options.redisUrl ? REMOTE_IN_FLIGHT : Math.max(1, availableParallelism()));
  // local runs: each slot's training process serves the slot's next run (its start-up paid once)
  const runner = new JobRunner(runnerStore, executor ?? createChildProcessExecutor({}, { slots: concurrency }), {
    concurrency,
    ...(options.cores !== undefined ? { cores: options.cores } : {}),
  });
  if (executor instanceof RedisExecutor) {
    // follow the remote runs a previous coordinator left running, and forget the streams of the others
    const adopted = store.runs.list({ status: 'running' }).filter((r) => r.queueName === executor.queueName);
    runner.adopt(adopted.map((r) => ({ id: r.id, spec: r.config })));
    await executor.forgetStreamsExcept(new Set(adopted.map((r) => r.id)));
  }
  const experimentSpecs = new Map<number, unknown>();
  const experimentSpecOf = (experimentId: number): unknown => {
    if (!experimentSpecs.has(experimentId)) experimentSpecs.set(experimentId, store.experiments.get(experimentId)?.spec ?? null);
    return experimentSpecs.get(experimentId);
  };
  const record = (run: StoredRun) => toRunRecord(run, experimentSpecOf(run.experimentId), runner.progressOf(run.id));
  const runOrThrow = (id: number): StoredRun => {
    const run = store.runs.get(id);
    if (!run) throw new NotFoundError('run', id);
    return run;
  };
  runner.subscribe((event) => {
    if (event.type === 'run-metrics') return emit(event);
    const run = store.runs.get(event.runId);
    emit({
      type: 'run-updated',
      run: { id: event.runId, experimentId: run?.experimentId ?? 0, status: event.status, progress: event.progress, error: event.error, summary: event.summary ?? run?.summary ?? null, threads: run?.threads ?? null },
    });
  });
  const refuseWhenReadOnly = (action: string): void => {
    if (store.readonly) throw new StoreError('read-only', store.path, `${action} failed: ${store.path} is open read-only (browse mode); reopen it writable to change anything`);
  };

  const ctx: ApiContext = { store, runner, runnerStore, budget, emit, record, runOrThrow, experimentSpecs, refuseWhenReadOnly, datasetsDir: datasetsDirFor(options.dbPath), api: () => api };
  const api: BatchscopeBackend = {
    store,
    runner,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    idle: () => runner.idle(),
    drained: () => runner.drained(),
    async close(closeOptions) {
      await runner.close(closeOptions);
      try {
        store.close();
      } catch (error) {
        // unsaved metrics (disk full): close anyway, and say what was lost
        try {
          store.close({ discardUnsaved: true });
        } catch {
          // the same failure, counted once
        }
        throw error;
      }
    },

    ...datasetMethods(ctx),
    ...experimentMethods(ctx),
    ...runMethods(ctx),
    ...metricMethods(ctx),
    ...workerMethods(ctx, executor instanceof RedisExecutor ? executor : null),
  };
  if (!store.readonly && (options.resumeQueued ?? true)) runner.wake();
  return api;
}

/** The store, read-only when asked, or (with 'auto') when the file exists but this user cannot write it. */
function openApiStore(dbPath: string, readOnly: boolean | 'auto'): Store {
  if (readOnly === true) return openStore(dbPath, { readonly: true });
  try {
    return openStore(dbPath);
  } catch (error) {
    if (readOnly !== 'auto' || !(error instanceof StoreError) || error.code !== 'read-only' || !existsSync(dbPath)) throw error;
    console.error(`[batchscope] ${error.file} is not writable: opened read-only (browse only; nothing can run)`);
    return openStore(dbPath, { readonly: true });
  }
}
