/**
 * Softmax cross-entropy and its logits gradient for wasm (cross-entropy-kernels.ts), each
 * one pass over the backend's heap in place of the ten-odd stock kernels the composite
 * (log-softmax, one-hot product, sum) and its gradient take: the MLP's loss cost 0.25–0.35 ms
 * of a 6 ms step, most of it the engine's per-kernel work (docs/benchmarks.md).
 *
 * The forward pass also returns the softmax, which the gradient then needs no exponentials
 * for. Each row is computed in double precision from the float32 logits, shifted by the
 * row's maximum as log-softmax is, and rounded once to float32 at the store. Non-finite values
 * propagate as in the composite: a NaN or +∞ logit makes its row NaN, and so does a −∞
 * logit under a label weight of 0 (0 · ∞).
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { SoftmaxCrossEntropy, SoftmaxCrossEntropyGrad } from './cross-entropy-kernels';
import type { FastKernel } from './fast-kernel';
import { requireInput } from './kernel-scope';

/** The [B, C] float32 `first` input and labels (and [B] dy), with an error naming the kernel otherwise. */
function rowsOf(kernelName: string, first: TensorInfo, labels: TensorInfo, dy?: TensorInfo): [number, number] {
  const [rows, classes] = first.shape as [number, number];
  const wrong =
    first.shape.length !== 2 ||
    labels.shape.length !== 2 ||
    labels.shape[0] !== rows ||
    labels.shape[1] !== classes ||
    [first, labels, dy].some((t) => t && t.dtype !== 'float32') ||
    (dy !== undefined && (dy.shape.length !== 1 || dy.shape[0] !== rows));
  if (wrong) {
    const shapes = [first, labels, dy].filter((t) => t).map((t) => `${t!.dtype} [${t!.shape}]`);
    throw new Error(`${kernelName}: expected float32 [B, C], labels [B, C]${dy ? ' and dy [B]' : ''}, got ${shapes.join(', ')}`);
  }
  return [rows, classes];
}

/**
 * Per-sample losses and the softmax (exported for its test): with m_i = max_j x_ij and
 * s_i = Σ_k e^(x_ik − m_i), loss_i = Σ_j t_ij · (log s_i − (x_ij − m_i)), p_ij = e^(x_ij − m_i) / s_i.
 */
export function crossEntropyRows(x: Float32Array, t: Float32Array, loss: Float32Array, p: Float32Array, rows: number, classes: number): void {
  const e = new Float64Array(classes);
  for (let i = 0; i < rows; i++) {
    const at = i * classes;
    let max = -Infinity;
    for (let j = 0; j < classes; j++) {
      const v = x[at + j]!;
      if (v > max) max = v; // a NaN logit makes the row NaN below
    }
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += e[j] = Math.exp(x[at + j]! - max);
    const logSum = Math.log(sum);
    let l = 0;
    for (let j = 0; j < classes; j++) {
      l += t[at + j]! * (logSum - (x[at + j]! - max));
      p[at + j] = e[j]! / sum;
    }
    loss[i] = l;
  }
}

/** The logits gradient (exported for its test): out_ij = dy_i · (Σ_k t_ik · p_ij − t_ij). */
export function crossEntropyGradRows(p: Float32Array, t: Float32Array, dy: Float32Array, out: Float32Array, rows: number, classes: number): void {
  for (let i = 0; i < rows; i++) {
    const at = i * classes;
    let labelSum = 0;
    for (let j = 0; j < classes; j++) labelSum += t[at + j]!;
    const d = dy[i]!;
    for (let j = 0; j < classes; j++) out[at + j] = d * (labelSum * p[at + j]! - t[at + j]!);
  }
}

const view = (backend: BackendWasm, t: TensorInfo): Float32Array => backend.typedArrayFromHeap(t) as Float32Array;

export const wasmSoftmaxCrossEntropy: FastKernel = {
  kernelName: SoftmaxCrossEntropy,
  backendNames: ['wasm'],
  build(): KernelFunc {
    return ({ inputs, backend }) => {
      const logits = requireInput(inputs, 'logits', SoftmaxCrossEntropy);
      const labels = requireInput(inputs, 'labels', SoftmaxCrossEntropy);
      const [rows, classes] = rowsOf(SoftmaxCrossEntropy, logits, labels);
      const wasm = backend as unknown as BackendWasm;
      const loss = wasm.makeOutput([rows], 'float32');
      const softmax = wasm.makeOutput([rows, classes], 'float32');
      // views after the allocations: a heap that grew for them has a new buffer
      crossEntropyRows(view(wasm, logits), view(wasm, labels), view(wasm, loss), view(wasm, softmax), rows, classes);
      return [loss, softmax];
    };
  },
};

export const wasmSoftmaxCrossEntropyGrad: FastKernel = {
  kernelName: SoftmaxCrossEntropyGrad,
  backendNames: ['wasm'],
  build(): KernelFunc {
    return ({ inputs, backend }) => {
      const softmax = requireInput(inputs, 'softmax', SoftmaxCrossEntropyGrad);
      const labels = requireInput(inputs, 'labels', SoftmaxCrossEntropyGrad);
      const dy = requireInput(inputs, 'dy', SoftmaxCrossEntropyGrad);
      const [rows, classes] = rowsOf(SoftmaxCrossEntropyGrad, softmax, labels, dy);
      const wasm = backend as unknown as BackendWasm;
      const out = wasm.makeOutput([rows, classes], 'float32');
      crossEntropyGradRows(view(wasm, softmax), view(wasm, labels), view(wasm, dy), view(wasm, out), rows, classes);
      return out;
    };
  },
};
