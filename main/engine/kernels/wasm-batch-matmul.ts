/**
 * BatchMatMul for wasm that reaches XNNPACK for transposed and batched-by-shared-weights
 * products (see flat-matmul.ts for why). For the backward pass of a dense layer this
 * is ~9-16x faster than the stock kernel (docs/benchmarks.md, "Kernels").
 * Products with a batched `b` keep the stock kernel: nothing to gain there.
 */
import { BatchMatMul, type BatchMatMulAttrs, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import type { FastKernel } from './fast-kernel';
import { composeKernel, requireInput } from './kernel-scope';
import { canFlatten, flattenMatMul, isAlreadyFlat } from './flat-matmul';

export const wasmBatchMatMul: FastKernel = {
  kernelName: BatchMatMul,
  backendNames: ['wasm'],
  build(stock: KernelConfig | undefined, backendName: string): KernelFunc {
    if (!stock) throw new Error(`${BatchMatMul}: the fast kernel wraps the stock ${backendName} kernel, which is not registered`);
    return ({ inputs, backend, attrs }) => {
      const a = requireInput(inputs, 'a', BatchMatMul);
      const b = requireInput(inputs, 'b', BatchMatMul);
      const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
      if (!canFlatten(a, b) || isAlreadyFlat(a, b, transposeA, transposeB)) {
        return stock.kernelFunc({ inputs, backend, attrs });
      }
      return composeKernel(backend, backendName, (scope) => {
        const flat = flattenMatMul(scope, a, b, transposeA, transposeB);
        const product = scope.runFunc(stock.kernelFunc, { a: flat.a, b: flat.b }, { transposeA: false, transposeB: false });
        return scope.reshape(product, flat.outShape);
      });
    };
  },
};
