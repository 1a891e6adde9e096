/**
 * Sum/Mean over a block of leading or middle axes, done as one XNNPACK average pool.
 *
 * The stock wasm reductions only reduce innermost axes; for any other axes they
 * first Transpose the whole tensor (~7 ms for a [128,32,32,16] activation, against
 * ~0.5 ms for the pool). Those are exactly the reductions of a training step: bias
 * and batch-norm gradients sum over [0, 1, 2] of NHWC tensors, batch-norm moments
 * average over [0, 1, 2], global average pooling over [1, 2].
 *
 * Viewed as [outer, reduced, 1, inner], the reduction is an average pool with an
 * R x 1 window and stride: one output row per outer index, `inner` channels.
 */
import { backend_util, util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelScope } from './kernel-scope';

export interface AxisBlock {
  outer: number;
  reduced: number;
  inner: number;
}

/**
 * The reduction's axes as one contiguous block that is not innermost and reduces
 * more than one element; null when the stock kernel is as good (or the only option).
 */
export function poolableBlock(x: TensorInfo, axis: number | number[]): AxisBlock | null {
  if (x.dtype !== 'float32' || x.shape.length === 0) return null;
  const axes = [...new Set(util.parseAxisParam(axis, x.shape))].sort((a, b) => a - b);
  if (axes.length === 0) return null;
  const first = axes[0]!;
  const last = axes[axes.length - 1]!;
  if (last - first + 1 !== axes.length || last === x.shape.length - 1) return null;
  const block = {
    outer: util.sizeFromShape(x.shape.slice(0, first)),
    reduced: util.sizeFromShape(x.shape.slice(first, last + 1)),
    inner: util.sizeFromShape(x.shape.slice(last + 1)),
  };
  return block.reduced > 1 && block.outer * block.inner > 0 ? block : null;
}

/** Mean (or, with `asSum`, sum) of `x` over `axis`, with the reduction's output shape. */
export function poolReduce(
  scope: KernelScope,
  x: TensorInfo,
  axis: number | number[],
  keepDims: boolean,
  block: AxisBlock,
  asSum: boolean,
): TensorInfo {
  const viewed = scope.reshape(x, [block.outer, block.reduced, 1, block.inner]);
  const pooled = scope.run('AvgPool', { x: viewed }, {
    filterSize: [block.reduced, 1],
    strides: [block.reduced, 1],
    pad: 'valid',
  });
  if (asSum) {
    // The pool's output is ours and small (outer x inner); scale it where it lies.
    const values = (scope.backend as BackendWasm).typedArrayFromHeap(pooled) as Float32Array;
    for (let i = 0; i < values.length; i++) values[i] = values[i]! * block.reduced;
  }
  const axes = util.parseAxisParam(axis, x.shape);
  const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
  return scope.reshape(pooled, keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape);
}
