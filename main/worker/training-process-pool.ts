/**
 * Training processes kept between runs. A fresh process pays, before its first step, Node's
 * start, the engine's modules (through tsx outside a built app), the wasm backend's compile,
 * V8's warm-up of tfjs and the dataset's load — several CPU-seconds, as much as a short run
 * itself (docs/benchmarks.md, Distributed). A run started here goes to an idle process when
 * one is waiting; after a clean `finished` the process says `ready` again (training-worker.ts,
 * `keepAlive`) and waits for the next run.
 *
 * A process is not reused after a run that failed, was cancelled or killed, or left tensors
 * behind, nor past its memory cap or `maxRunsPerProcess` runs: it ends as before, and the next
 * run gets a fresh one. Idle processes do not keep their parent alive, end when the parent
 * goes away, and are ended after `idleMs` or when the pool closes.
 */
import type { RunSpecInput } from '../../common/spec';
import type { WorkerMessage } from '../../common/worker-protocol';
import { forkTrainingProcess, runHandle, type TrainingProcess, type WorkerHandle } from './fork-worker';

export interface TrainingProcessPoolOptions {
  /** environment of the processes (fixed per pool: a process is only reused under the env it was started with) */
  env?: NodeJS.ProcessEnv;
  /** idle processes kept at most (default 1; a worker with N slots wants N) */
  maxIdle?: number;
  /**
   * runs one process serves before it is replaced (default 50; 1 — a fresh process for every
   * run — when BATCHSCOPE_FRESH_PROCESSES=1)
   */
  maxRunsPerProcess?: number;
  /** an idle process is ended after this long (default 120 s) */
  idleMs?: number;
}

interface Pooled {
  training: TrainingProcess;
  runs: number;
  idleTimer: NodeJS.Timeout | null;
  /** settles the current run's `exited` when the process dies under it */
  onExit: ((exit: Exit) => void) | null;
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

export class TrainingProcessPool {
  private readonly idle: Pooled[] = [];
  /** started ahead of any run (warm) and not yet ready */
  private readonly starting: Pooled[] = [];
  private closed = false;
  private readonly maxIdle: number;
  private readonly maxRuns: number;
  private readonly idleMs: number;

  constructor(private readonly options: TrainingProcessPoolOptions = {}) {
    this.maxIdle = options.maxIdle ?? 1;
    this.maxRuns = options.maxRunsPerProcess ?? (process.env.BATCHSCOPE_FRESH_PROCESSES === '1' ? 1 : 50);
    this.idleMs = options.idleMs ?? 120_000;
  }

  /** processes waiting for a run */
  get idleCount(): number {
    return this.idle.length;
  }

  /** processes started by warm() that have not said ready yet */
  get startingCount(): number {
    return this.starting.length;
  }

  /** pids of the processes no run holds (idle or starting) */
  get waitingPids(): number[] {
    return [...this.idle, ...this.starting].map((p) => p.training.child.pid ?? 0);
  }

  start(spec: RunSpecInput, onMessage: (message: WorkerMessage) => void): WorkerHandle {
    if (this.closed) throw new Error('the training process pool is closed');
    const reused = this.idle.pop();
    // a process started by warm() and not ready yet is as good as a fresh one, and further along
    const pooled = reused ?? this.starting.shift() ?? this.fork();
    if (pooled.idleTimer) clearTimeout(pooled.idleTimer);
    pooled.idleTimer = null;
    hold(pooled.training, true);
    pooled.runs += 1;
    const keepAlive = pooled.runs < this.maxRuns;
    const { training } = pooled;

    let started = false;
    let settle!: (exit: Exit) => void;
    const exited = new Promise<Exit>((resolve) => (settle = resolve));
    const begin = (): void => {
      started = true;
      training.post({ type: 'start', spec, keepAlive });
    };
    training.listen((message) => {
      if (message.type === 'ready') {
        if (!started) {
          onMessage(message);
          begin();
        } else {
          // the run is over and the process waits for another: the run "exits" cleanly
          pooled.onExit = null;
          settle({ code: 0, signal: null });
          this.park(pooled);
        }
        return;
      }
      onMessage(message);
    });
    pooled.onExit = settle;
    if (reused) {
      onMessage({ type: 'ready', pid: training.child.pid ?? 0 });
      begin();
    }
    return runHandle(training, exited);
  }

  /**
   * Starts processes before any run asks, until `count` (at most maxIdle) are idle or starting: a
   * `batchscope worker` warms one per slot, so its first runs do not wait for Node, the engine's
   * modules and the backend (about a second and a half of CPU each under tsx). They wait like any
   * idle process (and end after idleMs unused).
   */
  warm(count = this.maxIdle): void {
    while (!this.closed && this.maxRuns > 1 && this.idle.length + this.starting.length < Math.min(count, this.maxIdle)) {
      const pooled = this.fork();
      this.starting.push(pooled);
      hold(pooled.training, false);
      pooled.training.listen((message) => {
        if (message.type !== 'ready') return;
        const at = this.starting.indexOf(pooled);
        if (at >= 0) this.starting.splice(at, 1);
        this.park(pooled);
      });
    }
  }

  /** ends the idle processes and stops taking runs; processes running a run end with it */
  async close(): Promise<void> {
    this.closed = true;
    const idle = [...this.idle.splice(0), ...this.starting.splice(0)];
    for (const pooled of idle) {
      this.dropIdle(pooled);
      // held again while it ends, or the wait below would not keep the event loop alive
      hold(pooled.training, true);
      this.end(pooled);
    }
    await Promise.all(idle.map((p) => p.training.exited));
  }

  private fork(): Pooled {
    const pooled: Pooled = { training: forkTrainingProcess(this.options.env), runs: 0, idleTimer: null, onExit: null };
    void pooled.training.exited.then((exit) => {
      this.dropIdle(pooled);
      pooled.onExit?.(exit);
      pooled.onExit = null;
    });
    return pooled;
  }

  private park(pooled: Pooled): void {
    pooled.training.listen(() => undefined);
    if (this.closed || this.idle.length >= this.maxIdle) return this.end(pooled);
    hold(pooled.training, false);
    pooled.idleTimer = setTimeout(() => {
      this.dropIdle(pooled);
      this.end(pooled);
    }, this.idleMs);
    pooled.idleTimer.unref();
    this.idle.push(pooled);
  }

  private dropIdle(pooled: Pooled): void {
    const at = this.idle.indexOf(pooled);
    if (at >= 0) this.idle.splice(at, 1);
    const starting = this.starting.indexOf(pooled);
    if (starting >= 0) this.starting.splice(starting, 1);
    if (pooled.idleTimer) clearTimeout(pooled.idleTimer);
    pooled.idleTimer = null;
  }

  /** a training process waiting for a run exits when its channel closes (training-worker.ts) */
  private end(pooled: Pooled): void {
    if (pooled.training.child.connected) pooled.training.child.disconnect();
  }
}

/** An idle process must not keep the parent's event loop alive (a CLI run ends when its runs do). */
function hold(training: TrainingProcess, busy: boolean): void {
  const { child } = training;
  // the process, its IPC channel and its stderr pipe each hold the loop
  const handles = [child.channel, child.stderr] as ({ ref?: () => void; unref?: () => void } | null | undefined)[];
  if (busy) {
    child.ref();
    for (const h of handles) h?.ref?.();
  } else {
    child.unref();
    for (const h of handles) h?.unref?.();
  }
}
