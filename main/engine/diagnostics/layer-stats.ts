/**
 * The per-step, per-layer quantities of paper.md (gradient norm, weight norm,
 * parameter update step length, first-order share of the loss update), built for the
 * hot path, since they are due every step by default. Where the backend keeps tensors in
 * host memory (wasm, cpu) one loop per tensor reads gradient, old and new weights in place
 * and sums in float64: on the MLP 784-256-128-10 that is 0.6 ms against 1.8–2.3 ms for the
 * ≈ 85 small kernels of the device path, which a GPU backend still takes, reading the [L, 4]
 * table back in one go (docs/benchmarks.md, "Layer statistics in place").
 *
 *   const before = snapshotWeights(groups);   // before optimizer.apply
 *   optimizer.apply(...);
 *   const stats = await layerStats(groups, grads, before);
 *   tf.dispose(before);
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerMetrics } from '../../../common/metrics';
import type { LayerGroup } from '../models/layer-group';
import { hostValues } from '../host-values';
import { readValues } from '../training/read-back';

/**
 * weightNorm is ‖w_l(t)‖, the weights the gradient g_l(t) was taken at (so gradNorm /
 * weightNorm is LARS's ratio for that step); updateNorm is ‖w_l(t+1) − w_l(t)‖ and
 * lossUpdateShare is g_l(t) · (w_l(t+1) − w_l(t)).
 */
export type LayerStats = Pick<LayerMetrics, 'gradNorm' | 'weightNorm' | 'updateNorm'> & { lossUpdateShare: number };

const COLUMNS = 4;

/**
 * The variables' current values, per layer and param. Cheap: a clone shares the data
 * buffer, and `assign` in the optimizer gives the variable a new one rather than
 * writing into it. The caller disposes the result.
 */
export function snapshotWeights(groups: LayerGroup[]): tf.Tensor[][] {
  return groups.map((g) => g.params.map((p) => tf.clone(p)));
}

function checkShapes(groups: LayerGroup[], grads: tf.Tensor[][], before: tf.Tensor[][]): void {
  for (const [what, tensors] of [['grads', grads], ['before', before]] as const) {
    if (tensors.length !== groups.length) {
      throw new RangeError(`layerStats ${what} has ${tensors.length} layers, the model has ${groups.length}`);
    }
    groups.forEach((g, l) => {
      if (tensors[l]!.length !== g.params.length) {
        throw new RangeError(`layerStats ${what}[${l}] has ${tensors[l]!.length} tensors, layer ${g.name} has ${g.params.length} params`);
      }
    });
  }
}

/** [L, 4] tensor: per layer gradNorm, weightNorm, updateNorm, lossUpdateShare. */
export function layerStatsTensor(groups: LayerGroup[], grads: tf.Tensor[][], before: tf.Tensor[][]): tf.Tensor2D {
  checkShapes(groups, grads, before);
  return tf.tidy(() => {
    const rows = groups.map((group, l) => {
      const g = grads[l]!;
      const w0 = before[l]!;
      const delta = group.params.map((w1, p) => tf.sub(w1, w0[p]!));
      const sum = (parts: tf.Tensor[]): tf.Scalar => tf.addN(parts) as tf.Scalar;
      return tf.stack([
        tf.sqrt(sum(g.map((t) => tf.sum(tf.square(t))))),
        tf.sqrt(sum(w0.map((t) => tf.sum(tf.square(t))))),
        tf.sqrt(sum(delta.map((t) => tf.sum(tf.square(t))))),
        sum(delta.map((t, p) => tf.sum(tf.mul(g[p]!, t)))),
      ]);
    });
    return tf.stack(rows) as tf.Tensor2D;
  });
}

function toStats(values: ArrayLike<number>, layers: number): LayerStats[] {
  return Array.from({ length: layers }, (_, l) => ({
    gradNorm: values[l * COLUMNS]!,
    weightNorm: values[l * COLUMNS + 1]!,
    updateNorm: values[l * COLUMNS + 2]!,
    lossUpdateShare: values[l * COLUMNS + 3]!,
  }));
}

/** Adds Σg², Σw0², Σ(w1−w0)², Σg·(w1−w0) of one tensor to `into`, in float64. */
function addSums(g: Float32Array, w0: Float32Array, w1: Float32Array, into: Float64Array): void {
  let gg = 0;
  let ww = 0;
  let dd = 0;
  let gd = 0;
  for (let i = 0; i < g.length; i++) {
    const gi = g[i]!;
    const w = w0[i]!;
    const d = w1[i]! - w;
    gg += gi * gi;
    ww += w * w;
    dd += d * d;
    gd += gi * d;
  }
  into[0]! += gg;
  into[1]! += ww;
  into[2]! += dd;
  into[3]! += gd;
}

/** The statistics from the values in host memory, or null when some tensor is elsewhere (a GPU). */
export function layerStatsInPlace(groups: LayerGroup[], grads: tf.Tensor[][], before: tf.Tensor[][]): LayerStats[] | null {
  checkShapes(groups, grads, before);
  const stats: LayerStats[] = [];
  const sums = new Float64Array(COLUMNS);
  for (const [l, group] of groups.entries()) {
    sums.fill(0);
    for (const [p, w1] of group.params.entries()) {
      // views taken right before use: nothing in between allocates on the backend
      const g = hostValues(grads[l]![p]!);
      const w0 = hostValues(before[l]![p]!);
      const now = hostValues(w1);
      if (!g || !w0 || !now) return null;
      if (g.length !== now.length || w0.length !== now.length) {
        throw new RangeError(`layerStats: layer ${group.name} param ${p} has ${now.length} values, its gradient ${g.length}, its snapshot ${w0.length}`);
      }
      addSums(g, w0, now, sums);
    }
    stats.push({ gradNorm: Math.sqrt(sums[0]!), weightNorm: Math.sqrt(sums[1]!), updateNorm: Math.sqrt(sums[2]!), lossUpdateShare: sums[3]! });
  }
  return stats;
}

/** All layers' statistics on the device, with a single asynchronous read-back (a GPU backend need not block). */
export async function layerStatsOnDevice(groups: LayerGroup[], grads: tf.Tensor[][], before: tf.Tensor[][]): Promise<LayerStats[]> {
  const table = layerStatsTensor(groups, grads, before);
  try {
    return toStats(await readValues(table), groups.length);
  } finally {
    table.dispose();
  }
}

/** All layers' statistics: in place where the values are in host memory, else on the device. */
export async function layerStats(groups: LayerGroup[], grads: tf.Tensor[][], before: tf.Tensor[][]): Promise<LayerStats[]> {
  return layerStatsInPlace(groups, grads, before) ?? (await layerStatsOnDevice(groups, grads, before));
}
