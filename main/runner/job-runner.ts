/**
 * The job queue: starts queued runs up to a concurrency limit, each through the
 * executor (a child process by default), streams what they report into the
 * store, and turns every way a run can end — finished, diverged, cancelled,
 * failed, crashed, killed — into a recorded status with its metrics kept.
 */
import type { EvalMetrics, LayerMetrics, Progress, RunEvent, RunStarted, RunStatus, RunSummary, StepMetrics } from '../../common/metrics';
import { availableParallelism } from 'node:os';
import type { RunSpec } from '../../common/spec';
import { largestBatch, resolveThreads } from '../../common/threads';
import type { WorkerMessage } from '../../common/worker-protocol';
import type { Execution, ExecutionExit, RunExecutor } from './executor';

/** What the runner needs from the store (the real store implements it; see store-adapter). */
export interface RunnerStore {
  /** queued runs, oldest first */
  queuedRuns(limit: number): { id: number; spec: RunSpec }[];
  /**
   * Claims a queued run for this runner (queued → running, atomically); false when another
   * process claimed it first or it is no longer queued.
   */
  claim(runId: number): boolean;
  /** the process now executing a claimed run */
  recordWorker(runId: number, workerPid: number | null): void;
  /** a claimed run was handed to a queue (remote execution) */
  recordQueue(runId: number, queueName: string): void;
  /** the remote worker that took it */
  recordRemoteWorker(runId: number, worker: { name: string; host: string }): void;
  /** a remote run starts again from scratch after its worker was lost: what it stored so far goes */
  restartRun(runId: number): void;
  recordStarted(runId: number, info: RunStarted): void;
  pushStep(runId: number, metrics: StepMetrics): void;
  pushLayers(runId: number, metrics: LayerMetrics[]): void;
  pushEval(runId: number, metrics: EvalMetrics): void;
  pushEvent(runId: number, event: RunEvent, seq?: number): void;
  recordProgress(runId: number, progress: Progress): void;
  /** commits everything pushed so far */
  flush(): void;
  finishRun(runId: number, status: Extract<RunStatus, 'completed' | 'failed' | 'diverged' | 'cancelled' | 'interrupted'>, details: { summary?: RunSummary; error?: string }): void;
  /** a queued run becomes cancelled; false if it is not queued */
  cancelQueued(runId: number): boolean;
}

export type RunnerEvent =
  | { type: 'run-updated'; runId: number; status: RunStatus; progress: Progress | null; error: string | null; summary: RunSummary | null }
  | { type: 'run-metrics'; runId: number; step: number };

export interface JobRunnerOptions {
  concurrency: number;
  /**
   * Cores the runs share (default: the machine's). Runs never keep more threads busy than
   * this: a run's "auto" threads are max(1, ⌊cores / runs sharing them⌋), and a queued run
   * waits while its threads would not fit beside the running ones.
   */
  cores?: number;
  /** at most one progress/metrics event per run per this many ms */
  eventThrottleMs?: number;
  /** a cancelled run that has not stopped after this long is killed */
  cancelGraceMs?: number;
}

interface ActiveRun {
  execution: Execution;
  /** threads reserved for it out of the cores */
  threads: number;
  cancelRequested: boolean;
  outcome: { summary?: RunSummary; error?: string } | null;
  lastEventMs: number;
  lastStep: number;
  progress: Progress | null;
}

export class JobRunner {
  private readonly active = new Map<number, ActiveRun>();
  private readonly listeners = new Set<(event: RunnerEvent) => void>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly drainWaiters: (() => void)[] = [];
  private closed = false;
  private storeFailure: Error | null = null;
  private readonly throttleMs: number;
  private readonly cancelGraceMs: number;
  private readonly cores: number;

  constructor(
    private readonly store: RunnerStore,
    private readonly executor: RunExecutor,
    private readonly options: JobRunnerOptions,
  ) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new Error(`runner: concurrency must be a positive integer, got ${options.concurrency}`);
    this.throttleMs = options.eventThrottleMs ?? 250;
    this.cancelGraceMs = options.cancelGraceMs ?? 15_000;
    this.cores = Math.max(1, Math.floor(options.cores ?? availableParallelism()));
  }

  subscribe(listener: (event: RunnerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get concurrency(): number {
    return this.options.concurrency;
  }

  get activeRunIds(): number[] {
    return [...this.active.keys()];
  }

  /** threads the running runs were given, together (never more than the cores, unless one run alone asked for more) */
  get busyThreads(): number {
    let busy = 0;
    for (const run of this.active.values()) busy += run.threads;
    return busy;
  }

  /** the latest progress of a run this runner is executing */
  progressOf(runId: number): Progress | null {
    return this.active.get(runId)?.progress ?? null;
  }

  /**
   * The store failure (disk full, read-only, locked …) that stopped this runner, or null.
   * After one, running runs are killed and recorded as failed where the store still can,
   * and nothing new starts: a run whose metrics cannot be saved is not worth its CPU.
   */
  get failure(): Error | null {
    return this.storeFailure;
  }

  /** Stops the runner because the store failed (also called for failures of timer-driven metric flushes). */
  storeFailed(error: Error): void {
    if (this.storeFailure) return;
    this.storeFailure = error;
    for (const run of this.active.values()) run.execution.kill();
    this.settleWaiters();
  }

  /** Starts queued runs while slots are free. Call after queueing runs. */
  wake(): void {
    if (!this.closed && !this.storeFailure) this.startQueued();
    this.settleWaiters();
  }

  private startQueued(): void {
    const free = this.options.concurrency - this.active.size;
    if (free <= 0) return;
    const running = new Set(this.active.keys());
    const queued = (this.guarded(() => this.store.queuedRuns(free + running.size + 8)) ?? []).filter((r) => !running.has(r.id));
    // the cores are shared by the runs running and those about to start
    const sharing = Math.min(this.options.concurrency, this.active.size + queued.length);
    const share = Math.max(1, Math.floor(this.cores / Math.max(1, sharing)));
    let started = 0;
    for (const run of queued) {
      if (started >= free || this.storeFailure) break;
      if (this.executor.queueName !== undefined) {
        // a remote run takes no core here: its worker resolves "auto" against its own machine
        if (this.launch(run.id, run.spec, 0)) started++;
        continue;
      }
      // specs stored before `threads` existed have none: "auto"
      const threads = resolveThreads(run.spec.threads ?? 'auto', largestBatch(run.spec), share);
      // in queue order: a run that does not fit waits (and those behind it), unless nothing runs at all
      if (this.active.size > 0 && this.busyThreads + threads > this.cores) break;
      if (this.launch(run.id, { ...run.spec, threads }, threads)) started++;
    }
  }

  private settleWaiters(): void {
    if (this.active.size > 0) return;
    this.idleWaiters.splice(0).forEach((resolve) => resolve());
    if (this.drainWaiters.length === 0) return;
    if (this.storeFailure || this.closed || (this.guarded(() => this.store.queuedRuns(1)) ?? []).length === 0) {
      this.drainWaiters.splice(0).forEach((resolve) => resolve());
    }
  }

  /** Runs a store call; a failure stops the runner (see `failure`) instead of escaping into an event handler. */
  private guarded<T>(work: () => T): T | undefined {
    try {
      return work();
    } catch (error) {
      this.storeFailed(error instanceof Error ? error : new Error(String(error)));
      return undefined;
    }
  }

  /**
   * Follows runs a previous coordinator handed to the executor's queue and that are still
   * `running` in the store (remote executors only).
   */
  adopt(runs: readonly { id: number; spec: RunSpec }[]): void {
    const attach = this.executor.attach?.bind(this.executor);
    if (!attach) return;
    for (const { id, spec } of runs) {
      if (this.active.has(id)) continue;
      let run: ActiveRun | null = null;
      const execution = attach(id, spec, (message) => run && this.guarded(() => this.onMessage(id, run!, message)));
      // a remote run busies no local thread
      run = { execution, threads: 0, cancelRequested: false, outcome: null, lastEventMs: 0, lastStep: 0, progress: null };
      this.active.set(id, run);
      void execution.exited.then((exit) => this.onExit(id, run!, exit));
    }
  }

  /** Cancels a queued run at once, or asks a running one to stop (killed after a grace period). */
  cancel(runId: number): 'cancelled' | 'stopping' | 'not-found' {
    const run = this.active.get(runId);
    if (run) {
      if (!run.cancelRequested) {
        run.cancelRequested = true;
        run.execution.cancel();
        setTimeout(() => this.active.get(runId) === run && run.execution.kill(), this.cancelGraceMs).unref();
      }
      return 'stopping';
    }
    if (this.store.cancelQueued(runId)) {
      this.emit({ type: 'run-updated', runId, status: 'cancelled', progress: null, error: null, summary: null });
      return 'cancelled';
    }
    return 'not-found';
  }

  /** Resolves as soon as nothing is executing (queued runs may still be waiting to start). */
  idle(): Promise<void> {
    if (this.active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Resolves once nothing is executing and nothing is queued: every run this runner could start
   * has ended (or the runner was closed, or stopped by a store failure). Call wake() first.
   */
  drained(): Promise<void> {
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
      this.settleWaiters();
    });
  }

  /** Stops taking work; running runs are cancelled (or killed with `kill`) and awaited. */
  async close(options: { kill?: boolean } = {}): Promise<void> {
    this.closed = true;
    if (this.executor.runsOutliveCoordinator) {
      // remote runs keep training; the next coordinator attaches to them
      await this.executor.close?.();
      this.store.flush();
      return;
    }
    const exits = [...this.active.entries()].map(([id, run]) => {
      if (options.kill) run.execution.kill();
      else this.cancel(id);
      return run.execution.exited;
    });
    await Promise.all(exits);
    this.settleWaiters();
    await this.executor.close?.();
    try {
      this.store.flush();
    } catch (error) {
      // already reported as the runner's failure: closing must still finish
      if (!this.storeFailure) throw error;
    }
  }

  private emit(event: RunnerEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // a failing subscriber must not break the run
      }
    }
  }

  private launch(runId: number, spec: RunSpec, threads: number): boolean {
    // claim before starting anything: another app instance on the same file may race for it
    if (!this.guarded(() => this.store.claim(runId))) return false;
    let run: ActiveRun | null = null;
    if (this.executor.queueName) this.store.recordQueue(runId, this.executor.queueName);
    const execution = this.executor.start(spec, (message) => run && this.guarded(() => this.onMessage(runId, run!, message)), { runId });
    run = { execution, threads, cancelRequested: false, outcome: null, lastEventMs: 0, lastStep: 0, progress: null };
    this.active.set(runId, run);
    this.guarded(() => this.store.recordWorker(runId, execution.pid));
    this.emit({ type: 'run-updated', runId, status: 'running', progress: null, error: null, summary: null });
    void execution.exited.then((exit) => this.onExit(runId, run!, exit));
    return true;
  }

  private onMessage(runId: number, run: ActiveRun, message: WorkerMessage): void {
    switch (message.type) {
      case 'started':
        this.store.recordStarted(runId, message.info);
        break;
      case 'step':
        this.store.pushStep(runId, message.metrics);
        run.lastStep = message.metrics.step;
        break;
      case 'layers':
        this.store.pushLayers(runId, message.metrics);
        break;
      case 'eval':
        this.store.pushEval(runId, message.metrics);
        break;
      case 'event':
        this.store.pushEvent(runId, message.event, message.seq);
        break;
      case 'assigned':
        if ((message.attempt ?? 1) > 1) {
          this.store.restartRun(runId);
          run.lastStep = 0;
          run.progress = null;
        }
        this.store.recordRemoteWorker(runId, message.worker);
        break;
      case 'progress': {
        run.progress = message.progress;
        const now = Date.now();
        if (now - run.lastEventMs >= this.throttleMs || message.progress.step === message.progress.totalSteps) {
          run.lastEventMs = now;
          this.store.recordProgress(runId, message.progress);
          this.emit({ type: 'run-updated', runId, status: 'running', progress: message.progress, error: null, summary: null });
          this.emit({ type: 'run-metrics', runId, step: run.lastStep });
        }
        break;
      }
      case 'finished':
        run.outcome = { summary: message.summary };
        break;
      case 'failed':
        run.outcome = { error: `${message.error.name}: ${message.error.message}` };
        break;
      case 'ready':
        // executors that learn the pid only once the process is up (Electron's utilityProcess) report null at start
        if (run.execution.pid === null) this.store.recordWorker(runId, message.pid);
        break;
    }
  }

  private onExit(runId: number, run: ActiveRun, exit: ExecutionExit): void {
    this.active.delete(runId);
    // metrics first: a run whose metrics could not be saved is not recorded as completed
    this.guarded(() => this.store.flush());
    let status: Extract<RunStatus, 'completed' | 'failed' | 'diverged' | 'cancelled' | 'interrupted'>;
    let error: string | undefined;
    const summary = this.storeFailure ? undefined : run.outcome?.summary;
    if (summary) {
      status = summary.status;
      if (summary.status === 'diverged') error = summary.reason;
    } else if (run.outcome?.error) {
      status = 'failed';
      error = run.outcome.error;
    } else if (run.cancelRequested) {
      status = 'cancelled';
    } else if (this.storeFailure) {
      status = 'failed';
      error = `${this.storeFailure.name}: ${this.storeFailure.message}`;
    } else if (exit.interrupted) {
      status = 'interrupted';
      error = exit.interrupted;
    } else {
      status = 'failed';
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      const tail = exit.stderrTail.trim().split('\n').slice(-5).join('\n');
      error = `WorkerCrashed: the training process ${how}${tail ? `\n${tail}` : ''}`;
    }
    try {
      // where the store still can (a full disk may still take an in-place status update); else the
      // next start marks the run interrupted, its process being gone
      this.guarded(() => this.store.finishRun(runId, status, { summary, error }));
    } finally {
      this.emit({ type: 'run-updated', runId, status, progress: run.progress, error: error ?? null, summary: summary ?? null });
      this.emit({ type: 'run-metrics', runId, step: run.lastStep });
      this.wake();
    }
  }
}
