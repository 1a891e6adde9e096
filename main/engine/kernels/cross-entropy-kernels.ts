/**
 * Softmax cross-entropy as two kernels of Batchscope's own: the per-sample loss, and its
 * gradient with respect to the logits. Their names live here, apart from the wasm
 * implementation (wasm-cross-entropy.ts, registered with the fast kernels), so the loss can
 * ask for them without importing the wasm heap's machinery (the GPU window's browser bundle).
 * Backends without them keep the composite of stock ops (loss.ts).
 */
import { engine, type Tensor } from '@tensorflow/tfjs-core';
import { registeredHere } from './fast-kernel';

/**
 * inputs {logits [B, C], labels [B, C]}; outputs [loss [B], softmax [B, C]]:
 * loss_i = Σ_j labels_ij · (log Σ_k e^(logits_ik) − logits_ij), and the softmax its gradient needs
 */
export const SoftmaxCrossEntropy = 'BatchscopeSoftmaxCrossEntropy';
/** inputs {softmax [B, C], labels [B, C], dy [B]}; output [B, C]: dy_i · (Σ_k labels_ik · softmax_ij − labels_ij) */
export const SoftmaxCrossEntropyGrad = 'BatchscopeSoftmaxCrossEntropyGrad';

/** Whether the current backend has both kernels (wasm, with the fast kernels registered). */
export function crossEntropyKernelsRegistered(): boolean {
  return registeredHere(SoftmaxCrossEntropy, SoftmaxCrossEntropyGrad);
}

/** [per-sample loss, softmax] */
export function runCrossEntropy(logits: Tensor, labels: Tensor): [Tensor, Tensor] {
  return engine().runKernel(SoftmaxCrossEntropy, { logits, labels }) as unknown as [Tensor, Tensor];
}

/** the logits gradient, from the forward pass's softmax */
export function runCrossEntropyGrad(softmax: Tensor, labels: Tensor, dy: Tensor): Tensor {
  return engine().runKernel(SoftmaxCrossEntropyGrad, { softmax, labels, dy }) as Tensor;
}
