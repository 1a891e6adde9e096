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
import type { Execution, RunExecutor } from './executor';

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
  recordStarted(runId: number, info: RunStarted): void;
  pushStep(runId: number, metrics: StepMetrics): void;
  pushLayers(runId: number, metrics: LayerMetrics[]): void;
  pushEval(runId: number, metrics: EvalMetrics): void;
  pushEvent(runId: number, event: RunEvent): void;
  recordProgress(runId: number, progress: Progress): void;
  /** commits everything pushed so far */
  flush(): void;
  finishRun(runId: number, status: Extract<RunStatus, 'completed' | 'failed' | 'diverged' | 'cancelled'>, details: { summary?: RunSummary; error?: string }): void;
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
  private closed = false;
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

  /** Starts queued runs while slots are free. Call after queueing runs. */
  wake(): void {
    if (this.closed) return;
    const free = this.options.concurrency - this.active.size;
    if (free > 0) {
      const running = new Set(this.active.keys());
      const queued = this.store.queuedRuns(free + running.size + 8).filter((r) => !running.has(r.id));
      // the cores are shared by the runs running and those about to start
      const sharing = Math.min(this.options.concurrency, this.active.size + queued.length);
      const share = Math.max(1, Math.floor(this.cores / Math.max(1, sharing)));
      let started = 0;
      for (const run of queued) {
        if (started >= free) break;
        // specs stored before `threads` existed have none: "auto"
        const threads = resolveThreads(run.spec.threads ?? 'auto', largestBatch(run.spec), share);
        // in queue order: a run that does not fit waits (and those behind it), unless nothing runs at all
        if (this.active.size > 0 && this.busyThreads + threads > this.cores) break;
        if (this.launch(run.id, { ...run.spec, threads }, threads)) started++;
      }
    }
    if (this.active.size === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
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

  /** Resolves once nothing is running and nothing queued could start. */
  idle(): Promise<void> {
    if (this.active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking work; running runs are cancelled (or killed with `kill`) and awaited. */
  async close(options: { kill?: boolean } = {}): Promise<void> {
    this.closed = true;
    const exits = [...this.active.entries()].map(([id, run]) => {
      if (options.kill) run.execution.kill();
      else this.cancel(id);
      return run.execution.exited;
    });
    await Promise.all(exits);
    this.store.flush();
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
    if (!this.store.claim(runId)) return false;
    let run: ActiveRun | null = null;
    const execution = this.executor.start(spec, (message) => run && this.onMessage(runId, run, message));
    run = { execution, threads, cancelRequested: false, outcome: null, lastEventMs: 0, lastStep: 0, progress: null };
    this.active.set(runId, run);
    this.store.recordWorker(runId, execution.pid);
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
        this.store.pushEvent(runId, message.event);
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
        break;
    }
  }

  private onExit(runId: number, run: ActiveRun, exit: { code: number | null; signal: string | null; stderrTail: string }): void {
    this.active.delete(runId);
    let status: Extract<RunStatus, 'completed' | 'failed' | 'diverged' | 'cancelled'>;
    let error: string | undefined;
    const summary = run.outcome?.summary;
    if (summary) {
      status = summary.status;
      if (summary.status === 'diverged') error = summary.reason;
    } else if (run.outcome?.error) {
      status = 'failed';
      error = run.outcome.error;
    } else if (run.cancelRequested) {
      status = 'cancelled';
    } else {
      status = 'failed';
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      const tail = exit.stderrTail.trim().split('\n').slice(-5).join('\n');
      error = `WorkerCrashed: the training process ${how}${tail ? `\n${tail}` : ''}`;
    }
    try {
      this.store.flush();
      this.store.finishRun(runId, status, { summary, error });
    } finally {
      this.emit({ type: 'run-updated', runId, status, progress: run.progress, error: error ?? null, summary: summary ?? null });
      this.emit({ type: 'run-metrics', runId, step: run.lastStep });
      this.wake();
    }
  }
}
