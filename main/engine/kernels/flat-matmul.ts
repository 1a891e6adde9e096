/**
 * Rewrites a matmul into the one form the wasm backend sends to XNNPACK: a single
 * untransposed [1, M, K] x [1, K, N] product. Anything else (a transpose flag, or a
 * batch dim > 1 on either side) falls into a naive C++ triple loop in
 * tfjs-backend-wasm's batch_mat_mul_impl.cc.
 *
 * Possible whenever `b` has no batch (b's batch dims are all 1): transposes become
 * explicit Transposes (memory-bound, O(mk)) and `a`'s batch dims fold into its rows.
 * When `b` is batched there is no single weight matrix, so the caller keeps the
 * stock kernel.
 */
import { broadcast_util, util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelScope } from './kernel-scope';

export interface FlatMatMul {
  a: TensorInfo; // [1, batchA * M, K]
  b: TensorInfo; // [1, K, N]
  /** Shape the [1, batchA * M, N] product must be reshaped to (the stock kernel's output shape). */
  outShape: number[];
}

export function batchSize(x: TensorInfo): number {
  return util.sizeFromShape(x.shape.slice(0, -2));
}

/** True when the stock kernel would already take the XNNPACK path. */
export function isAlreadyFlat(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): boolean {
  return !transposeA && !transposeB && batchSize(a) === 1 && batchSize(b) === 1;
}

export function canFlatten(a: TensorInfo, b: TensorInfo): boolean {
  return a.dtype === 'float32' && b.dtype === 'float32' && a.shape.length >= 2 && b.shape.length >= 2 && batchSize(b) === 1;
}

/**
 * `x` with its last two axes swapped. A vector-like `a` is only reshaped (no copy);
 * `b` is always copied: the XNNPACK path caches its packed weights under b's data
 * id, so handing it a reshaped view of a tensor that is also used unswapped as a
 * weight matrix elsewhere would make that entry answer for the wrong shape.
 */
export function swapLastTwoAxes(scope: KernelScope, x: TensorInfo, viewIfPossible: boolean): TensorInfo {
  const rank = x.shape.length;
  const rows = x.shape[rank - 2]!;
  const cols = x.shape[rank - 1]!;
  if (viewIfPossible && (rows === 1 || cols === 1)) return scope.reshape(x, [...x.shape.slice(0, -2), cols, rows]);
  const perm = x.shape.map((_, axis) => axis);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return scope.transpose(x, perm);
}

export function flattenMatMul(scope: KernelScope, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): FlatMatMul {
  const aRows = transposeA ? swapLastTwoAxes(scope, a, true) : a;
  const bRows = transposeB ? swapLastTwoAxes(scope, b, false) : b;
  const [m, k] = aRows.shape.slice(-2) as [number, number];
  const [kB, n] = bRows.shape.slice(-2) as [number, number];
  if (k !== kB) {
    throw new Error(`matMul: inner dimensions differ (${k} vs ${kB}) for shapes [${a.shape}] and [${b.shape}] with transposeA=${transposeA}, transposeB=${transposeB}`);
  }
  const batchDims = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return {
    a: scope.reshape(aRows, [1, batchSize(a) * m, k]),
    b: scope.reshape(bRows, [1, k, n]),
    outShape: [...batchDims, m, n],
  };
}
