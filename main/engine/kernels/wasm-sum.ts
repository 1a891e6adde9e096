/** Sum for wasm: non-innermost axes via one average pool (see pooled-reduction.ts). */
import { Sum, type KernelConfig, type KernelFunc, type SumAttrs } from '@tensorflow/tfjs-core';
import type { FastKernel } from './fast-kernel';
import { composeKernel, requireInput } from './kernel-scope';
import { poolableBlock, poolReduce } from './pooled-reduction';

export const wasmSum: FastKernel = {
  kernelName: Sum,
  backendNames: ['wasm'],
  build(stock: KernelConfig | undefined, backendName: string): KernelFunc {
    if (!stock) throw new Error(`${Sum}: the fast kernel wraps the stock ${backendName} kernel, which is not registered`);
    return ({ inputs, backend, attrs }) => {
      const x = requireInput(inputs, 'x', Sum);
      const { axis, keepDims } = attrs as unknown as SumAttrs;
      const block = poolableBlock(x, axis);
      if (!block) return stock.kernelFunc({ inputs, backend, attrs });
      return composeKernel(backend, backendName, (scope) => poolReduce(scope, x, axis, keepDims, block, true));
    };
  },
};
