/**
 * Optimizer updates as kernels of Batchscope's own, one pass per parameter: plain SGD's
 * w − lr·(g + decay·w), the momentum step (heavy ball or Nesterov) that SGD with momentum,
 * CBLR and MCLR take (momentum.ts), LARS's (lars.ts), Adam's or AdamW's (adam.ts) and LAMB's
 * moments and step (lamb.ts). Their names and attributes live here, apart from the wasm
 * implementation (wasm-update-kernels.ts, registered with the fast kernels),
 * so the optimizers can ask for them without importing the wasm heap's machinery (the GPU
 * window's browser bundle has no node:v8). Backends without them keep the stock route.
 */
import { engine, type NamedAttrMap, type NamedTensorMap, type Tensor } from '@tensorflow/tfjs-core';
import { registeredHere } from './fast-kernel';

/** inputs {w, g}; output w − lr·(g + decay·w) */
export const SgdUpdate = 'BatchscopeSgdUpdate';
/** inputs {w, g, v}; outputs [w after, v after] of momentum.ts's momentumStep or of a LARS step */
export const MomentumUpdate = 'BatchscopeMomentumUpdate';

/** inputs {w, g, m, v}; outputs [w after (or LAMB's step u), m after, v after] of adam.ts's step */
export const AdamUpdate = 'BatchscopeAdamUpdate';

export interface AdamUpdateAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** the bias corrections 1 − β1^t and 1 − β2^t */
  correction1: number;
  correction2: number;
  /** λ, left out unless positive: coupled (Adam, added to g) or decoupled (AdamW, added to the step) */
  decay: number;
  decoupled: boolean;
  /** LAMB's first half: the first output is the step u itself (m̂/(√v̂ + ε), + λ·w decoupled), not w − lr·u */
  direction?: boolean;
}

/**
 * with d = g + λ·w: heavy ball v ← μ·v + d, w ← w − η·v; Nesterov the same v, w ← w − η·(d + μ·v);
 * LARS v ← μ·v + η·d, w ← w − v (η the layer's local rate)
 */
export type MomentumForm = 'heavy-ball' | 'nesterov' | 'lars';

export interface UpdateAttrs {
  lr: number;
  /** coupled L2 weight decay λ; the decay terms are left out unless it is positive (as the stock route does) */
  decay: number;
  /** MomentumUpdate only: μ, and which step (heavy ball by default) */
  momentum?: number;
  form?: MomentumForm;
}

type UpdateKernel = typeof SgdUpdate | typeof MomentumUpdate | typeof AdamUpdate;

/** Whether the current backend has `kernelName` (wasm, with the fast kernels registered). */
export function updateKernelRegistered(kernelName: UpdateKernel): boolean {
  return registeredHere(kernelName);
}

/** Runs one of the update kernels; its outputs in the order its name's comment gives (one for SgdUpdate). */
export function runUpdate(kernelName: UpdateKernel, inputs: NamedTensorMap, attrs: UpdateAttrs | AdamUpdateAttrs): Tensor[] {
  const out = engine().runKernel(kernelName, inputs, attrs as unknown as NamedAttrMap);
  return Array.isArray(out) ? out : [out];
}
