/**
 * The per-step, per-layer quantities of paper.md (gradient norm, weight norm,
 * parameter update step length, first-order share of the loss update), built for the
 * hot path: all layers' norms are computed on the device and read back in one go.
 *
 *   const before = snapshotWeights(groups);   // before optimizer.apply
 *   optimizer.apply(...);
 *   const stats = await layerStats(groups, grads, before);
 *   tf.dispose(before);
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerMetrics } from '../../../common/metrics';
import type { LayerGroup } from '../models/layer-group';
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

/** All layers' statistics with a single asynchronous read-back (a GPU backend need not block). */
export async function layerStats(groups: LayerGroup[], grads: tf.Tensor[][], before: tf.Tensor[][]): Promise<LayerStats[]> {
  const table = layerStatsTensor(groups, grads, before);
  try {
    return toStats(await readValues(table), groups.length);
  } finally {
    table.dispose();
  }
}
