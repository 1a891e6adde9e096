/**
 * A Batchscope fast kernel: a replacement for one tfjs kernel on the backends where
 * it was measured to help. It may wrap the stock kernel (kept as a fallback and as a
 * building block) or fill a kernel the backend lacks.
 */
import { getBackend, getKernel, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';

export interface FastKernel {
  kernelName: string;
  /** Backends the replacement was measured to help; it is registered for no others. */
  backendNames: readonly string[];
  /** Builds the replacement. `stock` is the backend's own kernel, if it has one. */
  build(stock: KernelConfig | undefined, backendName: string): KernelFunc;
}

/**
 * Whether the current backend has every kernel named: for kernels of Batchscope's own, which
 * only the backends they were written for have (their callers take stock ops elsewhere).
 */
export function registeredHere(...kernelNames: string[]): boolean {
  const backend = getBackend();
  return kernelNames.every((name) => getKernel(name, backend) !== undefined);
}
