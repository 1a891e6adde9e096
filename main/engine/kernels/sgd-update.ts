/**
 * SgdUpdate, a kernel of Batchscope's own: w − lr·(g + decay·w), one parameter's plain-SGD
 * step in one pass. Its name and attributes live here, apart from the wasm implementation
 * (wasm-sgd-update.ts, registered with the fast kernels), so the optimizer can ask for it
 * without importing the wasm heap's machinery (the GPU window's bundle has no node:v8).
 */
import { getBackend, getKernel } from '@tensorflow/tfjs-core';

export const SgdUpdate = 'BatchscopeSgdUpdate';

export interface SgdUpdateAttrs {
  lr: number;
  /** coupled L2 weight decay λ; the decay terms are left out unless it is positive (as the stock route does) */
  decay: number;
}

/** Whether the current backend has SgdUpdate (wasm, with the fast kernels registered). */
export function sgdUpdateRegistered(): boolean {
  return getKernel(SgdUpdate, getBackend()) !== undefined;
}
