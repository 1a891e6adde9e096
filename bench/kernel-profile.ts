/**
 * Where a step's time goes, per tfjs kernel: tf.profile's kernel list, grouped by
 * kernel name and input shapes. On wasm every kernel runs synchronously, so a
 * kernel's time is the wall time of its call; the rest of the step (tape
 * bookkeeping, tensor allocation, tidy, JS between kernels) is `outsideKernelsMs`.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface KernelTotal {
  kernel: string;
  /** input shapes of the calls grouped here, e.g. "256x784 · 784x256" */
  shapes: string;
  calls: number;
  totalMs: number;
}

export interface KernelProfile {
  /** which clock the times below are in */
  clock?: ProfileClock;
  /** time of the profiled call (in that clock), profiling overhead included */
  wallMs: number;
  kernelMs: number;
  outsideKernelsMs: number;
  kernelCalls: number;
  /** heaviest first */
  kernels: KernelTotal[];
}

// a custom-gradient op (tf.customGrad) is profiled as one entry whose input shapes tfjs leaves null
const shapeText = (shapes: (number[] | null)[]): string => shapes.map((s) => (s === null ? '?' : s.length ? s.join('x') : 'scalar')).join(' · ');

/**
 * 'wall': kernel times as tfjs measures them. 'cpu': the same calls timed in CPU
 * time of this process, which a process waiting for a core does not accumulate:
 * on a machine shared with other work, a 3 ms kernel is preempted on nearly every
 * call and its wall time says more about the neighbours than about the kernel.
 */
export type ProfileClock = 'wall' | 'cpu';

function cpuMsNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Profiles `fn` `rounds` times. When every round issued the same kernels in the
 * same order (a deterministic step does), each kernel call counts with its fastest
 * time over the rounds, and the wall time is the fastest round's: on a shared
 * machine a call the OS preempted says nothing about the kernel, and the minimum
 * is the figure that survives contention. Otherwise the per-round totals are averaged.
 */
export async function profileKernels(fn: () => void | Promise<void>, rounds = 3, clock: ProfileClock = 'wall'): Promise<KernelProfile> {
  const walls: number[] = [];
  const platform = tf.env().platform;
  const wallNow = platform.now.bind(platform);
  const now = clock === 'cpu' ? cpuMsNow : wallNow;
  const perRound: { name: string; shapes: string; ms: number }[][] = [];
  // the per-output NaN check reads every tensor back; it would distort the wall time
  const checkErrors = tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS');
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);
  // tfjs times kernels with its platform's clock (the wasm backend's time() reads util.now())
  if (clock === 'cpu') platform.now = cpuMsNow;
  try {
    for (let r = 0; r < rounds; r++) {
      const t0 = now();
      const info = await tf.profile(fn);
      walls.push(now() - t0);
      const calls: { name: string; shapes: string; ms: number }[] = [];
      for (const k of info.kernels) {
        // composite ops (tf.customGrad, e.g. logSoftmax or a fused dense layer) are listed
        // beside the kernels they run: count the kernels only
        if (!tf.getKernel(k.name, tf.getBackend())) continue;
        const ms = await k.kernelTimeMs;
        if (typeof ms === 'number') calls.push({ name: k.name, shapes: shapeText(k.inputShapes), ms });
      }
      perRound.push(calls);
    }
  } finally {
    tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', checkErrors);
    platform.now = wallNow;
  }
  const sameSequence = perRound.every((calls) => calls.length === perRound[0]!.length && calls.every((c, i) => c.name === perRound[0]![i]!.name && c.shapes === perRound[0]![i]!.shapes));
  const calls = sameSequence
    ? perRound[0]!.map((c, i) => ({ ...c, ms: Math.min(...perRound.map((round) => round[i]!.ms)) }))
    : perRound.flat().map((c) => ({ ...c, ms: c.ms / rounds }));
  const groups = new Map<string, KernelTotal>();
  for (const c of calls) {
    const key = `${c.name}|${c.shapes}`;
    const g = groups.get(key) ?? { kernel: c.name, shapes: c.shapes, calls: 0, totalMs: 0 };
    g.calls += sameSequence ? 1 : 1 / rounds;
    g.totalMs += c.ms;
    groups.set(key, g);
  }
  const kernels = [...groups.values()].sort((a, b) => b.totalMs - a.totalMs);
  const kernelMs = kernels.reduce((s, k) => s + k.totalMs, 0);
  const wallMs = sameSequence ? Math.min(...walls) : walls.reduce((a, b) => a + b, 0) / rounds;
  return { clock, wallMs, kernelMs, outsideKernelsMs: wallMs - kernelMs, kernelCalls: calls.length / (sameSequence ? 1 : rounds), kernels };
}

/** Totals per kernel name (shapes merged), heaviest first. */
export function byKernelName(profile: KernelProfile): { kernel: string; calls: number; totalMs: number }[] {
  const merged = new Map<string, { kernel: string; calls: number; totalMs: number }>();
  for (const k of profile.kernels) {
    const m = merged.get(k.kernel) ?? { kernel: k.kernel, calls: 0, totalMs: 0 };
    m.calls += k.calls;
    m.totalMs += k.totalMs;
    merged.set(k.kernel, m);
  }
  return [...merged.values()].sort((a, b) => b.totalMs - a.totalMs);
}
