/** Mean for wasm: non-innermost axes via one average pool (see pooled-reduction.ts). */
import { Mean, type KernelConfig, type KernelFunc, type MeanAttrs } from '@tensorflow/tfjs-core';
import type { FastKernel } from './fast-kernel';
import { composeKernel, requireInput } from './kernel-scope';
import { poolableBlock, poolReduce } from './pooled-reduction';

export const wasmMean: FastKernel = {
  kernelName: Mean,
  backendNames: ['wasm'],
  build(stock: KernelConfig | undefined, backendName: string): KernelFunc {
    if (!stock) throw new Error(`${Mean}: the fast kernel wraps the stock ${backendName} kernel, which is not registered`);
    return ({ inputs, backend, attrs }) => {
      const x = requireInput(inputs, 'x', Mean);
      const { axis, keepDims } = attrs as unknown as MeanAttrs;
      const block = poolableBlock(x, axis);
      if (!block) return stock.kernelFunc({ inputs, backend, attrs });
      return composeKernel(backend, backendName, (scope) => poolReduce(scope, x, axis, keepDims, block, false));
    };
  },
};
