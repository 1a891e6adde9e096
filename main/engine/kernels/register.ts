/**
 * Installs Batchscope's fast kernels over tfjs's stock ones, per backend, for the
 * backends each was measured to help (docs/benchmarks.md, "Kernels").
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import type { FastKernel } from './fast-kernel';
import { gemmBatchMatMul, gemmFusedMatMul } from './gemm-matmul';
import { fastConv2DBackpropFilter } from './conv2d-backprop-filter';
import { wasmConv2DBackpropInput } from './wasm-conv2d-backprop-input';
import { wasmMaxPoolGrad } from './wasm-max-pool-grad';
import { wasmSum } from './wasm-sum';
import { wasmMean } from './wasm-mean';
import { wasmSharedCast, wasmSharedIdentity } from './wasm-shared-identity';
import { wasmAdamUpdate, wasmMomentumUpdate, wasmSgdUpdate } from './wasm-update-kernels';
import { wasmSoftmaxCrossEntropy, wasmSoftmaxCrossEntropyGrad } from './wasm-cross-entropy';
import { wasmReluGrad } from './wasm-relu-grad';

export const fastKernels: readonly FastKernel[] = [
  // our GEMM in front of the XNNPACK-based wasmBatchMatMul / wasmFusedMatMul, which take what it does not
  gemmBatchMatMul,
  gemmFusedMatMul,
  fastConv2DBackpropFilter,
  wasmConv2DBackpropInput,
  wasmMaxPoolGrad,
  wasmSum,
  wasmMean,
  wasmSharedIdentity,
  wasmSharedCast,
  // kernels wasm lacks: optimizer updates in one pass (the optimizers take stock kernels where they are not registered)
  wasmSgdUpdate,
  wasmMomentumUpdate,
  wasmAdamUpdate,
  // the loss and its logits gradient in one pass each (loss.ts takes the stock composite where they are not registered)
  wasmSoftmaxCrossEntropy,
  wasmSoftmaxCrossEntropyGrad,
  // relu's gradient in one pass (the layers take Step and Multiply where it is not registered)
  wasmReluGrad,
];

// Marks configs we registered. A global symbol, because the kernel registry is
// process-global while this module may be loaded more than once (bundles, workers).
const installedBy = Symbol.for('batchscope.fastKernel');
type InstalledConfig = KernelConfig & { [installedBy]?: { stock: KernelConfig | undefined } };

function install(kernel: FastKernel, backendName: string): void {
  const current = getKernel(kernel.kernelName, backendName) as InstalledConfig | undefined;
  if (current?.[installedBy]) return;
  const replacement: InstalledConfig = {
    kernelName: kernel.kernelName,
    backendName,
    kernelFunc: kernel.build(current, backendName),
    // The stock kernel's setup (its cwrap of the C++ entry point) still has to run
    // whenever the engine (re)initializes this backend, since we call into it.
    setupFunc: current?.setupFunc,
    disposeFunc: current?.disposeFunc,
    [installedBy]: { stock: current },
  };
  if (current) unregisterKernel(kernel.kernelName, backendName);
  registerKernel(replacement);
}

/** Registers Batchscope's fast kernels for the backends they help. Idempotent. */
export function registerFastKernels(backendName: string): void {
  for (const kernel of fastKernels) {
    if (kernel.backendNames.includes(backendName)) install(kernel, backendName);
  }
}

/** Registers one fast kernel (benchmarks compare subsets). Idempotent. */
export function registerFastKernel(kernelName: string, backendName: string): void {
  const kernel = fastKernels.find((k) => k.kernelName === kernelName && k.backendNames.includes(backendName));
  if (!kernel) throw new Error(`no fast kernel '${kernelName}' for backend '${backendName}'`);
  install(kernel, backendName);
}

/** Puts the stock kernels back (for benchmarks that compare both). Idempotent. */
export function unregisterFastKernels(backendName: string): void {
  for (const kernel of fastKernels) {
    const current = getKernel(kernel.kernelName, backendName) as InstalledConfig | undefined;
    const mark = current?.[installedBy];
    if (!mark) continue;
    unregisterKernel(kernel.kernelName, backendName);
    if (mark.stock) registerKernel(mark.stock);
  }
}
