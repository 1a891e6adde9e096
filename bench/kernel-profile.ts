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
  /** wall time of the profiled call, profiling overhead included */
  wallMs: number;
  kernelMs: number;
  outsideKernelsMs: number;
  kernelCalls: number;
  /** heaviest first */
  kernels: KernelTotal[];
}

const shapeText = (shapes: number[][]): string => shapes.map((s) => (s.length ? s.join('x') : 'scalar')).join(' · ');

/** Profiles `fn` once, `rounds` times, and averages the per-kernel totals per round. */
export async function profileKernels(fn: () => void | Promise<void>, rounds = 3): Promise<KernelProfile> {
  const groups = new Map<string, KernelTotal>();
  let wallMs = 0;
  let calls = 0;
  // the per-output NaN check reads every tensor back; it would distort the wall time
  const checkErrors = tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS');
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);
  try {
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      const info = await tf.profile(fn);
      wallMs += performance.now() - t0;
      for (const k of info.kernels) {
        const ms = await k.kernelTimeMs;
        if (typeof ms !== 'number') continue;
        const shapes = shapeText(k.inputShapes);
        const key = `${k.name}|${shapes}`;
        const g = groups.get(key) ?? { kernel: k.name, shapes, calls: 0, totalMs: 0 };
        g.calls += 1;
        g.totalMs += ms;
        groups.set(key, g);
        calls += 1;
      }
    }
  } finally {
    tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', checkErrors);
  }
  const kernels = [...groups.values()]
    .map((g) => ({ ...g, calls: g.calls / rounds, totalMs: g.totalMs / rounds }))
    .sort((a, b) => b.totalMs - a.totalMs);
  const kernelMs = kernels.reduce((s, k) => s + k.totalMs, 0);
  return { wallMs: wallMs / rounds, kernelMs, outsideKernelsMs: wallMs / rounds - kernelMs, kernelCalls: calls / rounds, kernels };
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
