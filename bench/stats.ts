/** Robust summaries of repeated timings: the median and the spread around it. */

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** (max − min) / median: how noisy the repetitions were */
  relativeSpread: number;
  samples: number[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(values: readonly number[]): Summary {
  const m = median(values);
  const min = Math.min(...values);
  const max = Math.max(...values);
  return { median: m, min, max, relativeSpread: m === 0 ? 0 : (max - min) / m, samples: [...values] };
}

export interface RepeatOptions {
  /** untimed calls first (JIT, wasm memory growth, kernel caches) */
  warmup: number;
  /**
   * and, past those, untimed calls until this many ms have gone by: V8 keeps optimizing a
   * training step's JavaScript (tfjs's engine and tape) over its first hundreds of calls, an
   * MLP step still 5–10 % slower after 50 of them (docs/benchmarks.md); a run's thousands of
   * steps see the optimized code
   */
  warmupMs?: number;
  /** timed repetitions; the summary is over these */
  reps: number;
  /** calls per repetition, timed together and averaged */
  callsPerRep: number;
}

export interface CallTimes {
  /** wall-clock ms per call */
  wall: Summary;
  /**
   * CPU ms per call (user + system, whole process). It leaves out the time the process
   * waited for a core on a busy machine, but counts V8's helper threads: work that
   * allocates or keeps optimizing JS (the training step) makes them compile and
   * collect beside it, 1–3 ms per MLP step (docs/benchmarks.md), so for such work it
   * exceeds the wall time even on an idle machine.
   */
  cpu: Summary;
}

function cpuMsNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * `fn` called for timing. A function that returned a promise would be timed up to its first
 * await, the rest of every call piling up until the caller yields: refused (timePerCallAsync).
 */
function callSync(fn: () => void): void {
  const returned: unknown = fn();
  if (returned instanceof Promise) throw new Error('timePerCall: the timed function returned a promise; time it with timePerCallAsync');
}

/** Milliseconds per call of `fn`, wall-clock and CPU, summarized over repetitions. */
export function timePerCall(fn: () => void, options: RepeatOptions): CallTimes {
  const warmStart = performance.now();
  for (let i = 0; i < options.warmup || performance.now() - warmStart < (options.warmupMs ?? 0); i++) callSync(fn);
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  for (let r = 0; r < options.reps; r++) {
    const t0 = performance.now();
    const c0 = cpuMsNow();
    for (let i = 0; i < options.callsPerRep; i++) callSync(fn);
    cpuMs.push((cpuMsNow() - c0) / options.callsPerRep);
    wallMs.push((performance.now() - t0) / options.callsPerRep);
  }
  return { wall: summarize(wallMs), cpu: summarize(cpuMs) };
}

/** The untimed calls of `options` (RepeatOptions.warmup and warmupMs), awaited one by one. */
export async function warmUp(fn: () => Promise<void>, options: Pick<RepeatOptions, 'warmup' | 'warmupMs'>): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < options.warmup || performance.now() - start < (options.warmupMs ?? 0); i++) await fn();
}

/** timePerCall for a function that awaits (the engine's training step reads its loss asynchronously). */
export async function timePerCallAsync(fn: () => Promise<void>, options: RepeatOptions): Promise<CallTimes> {
  await warmUp(fn, options);
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  for (let r = 0; r < options.reps; r++) {
    const t0 = performance.now();
    const c0 = cpuMsNow();
    for (let i = 0; i < options.callsPerRep; i++) await fn();
    cpuMs.push((cpuMsNow() - c0) / options.callsPerRep);
    wallMs.push((performance.now() - t0) / options.callsPerRep);
  }
  return { wall: summarize(wallMs), cpu: summarize(cpuMs) };
}
