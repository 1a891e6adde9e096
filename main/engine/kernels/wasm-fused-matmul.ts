/**
 * _FusedMatMul (matmul + bias + activation, as in tf.fused.matMul) for wasm. The stock
 * kernel shares BatchMatMul's slow path for transposed or batched operands (a
 * transposed [784,256]^T x [784,256] with bias and relu: ~95 ms vs ~6 ms); this one
 * flattens the product first (flat-matmul.ts) and keeps everything fused in XNNPACK
 * where that is provably the same computation: the bias, if any, is one value per
 * output column (XNNPACK reads exactly N values), and prelu weights, which broadcast
 * against the output's own shape, only where no batch was folded into the rows.
 *
 * Any other bias is added by a separate kernel after the product, because the stock
 * kernel gets it wrong: its slow path indexes the bias by row * N + column, clamped
 * to the last element (a per-column bias is only right in row 0), and its XNNPACK
 * path reads N values from a one-element bias.
 */
import { _FusedMatMul, type _FusedMatMulAttrs, type _FusedMatMulInputs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { FastKernel } from './fast-kernel';
import { composeKernel, requireInput, type KernelScope } from './kernel-scope';
import { batchSize, canFlatten, flattenMatMul, isAlreadyFlat } from './flat-matmul';

/** `x + bias`, then the fused activation, as separate kernels. */
function biasAndActivation(
  scope: KernelScope,
  x: TensorInfo,
  bias: TensorInfo,
  preluWeights: TensorInfo | undefined,
  { activation, leakyreluAlpha }: _FusedMatMulAttrs,
): TensorInfo {
  const biased = scope.run('Add', { a: x, b: bias });
  switch (activation) {
    case 'linear':
      return biased;
    case 'relu':
      return scope.run('Relu', { x: biased });
    case 'relu6':
      return scope.run('Relu6', { x: biased });
    case 'elu':
      return scope.run('Elu', { x: biased });
    case 'sigmoid':
      return scope.run('Sigmoid', { x: biased });
    case 'leakyrelu':
      return scope.run('LeakyRelu', { x: biased }, { alpha: leakyreluAlpha ?? 0.2 });
    case 'prelu':
      if (!preluWeights) throw new Error(`${_FusedMatMul}: prelu activation without preluActivationWeights`);
      return scope.run('Prelu', { x: biased, alpha: preluWeights });
    default:
      throw new Error(`${_FusedMatMul}: activation '${String(activation)}' is not supported on wasm`);
  }
}

function outColumns(b: TensorInfo, transposeB: boolean): number {
  return b.shape[b.shape.length - (transposeB ? 2 : 1)]!;
}

export const wasmFusedMatMul: FastKernel = {
  kernelName: _FusedMatMul,
  backendNames: ['wasm'],
  build(stock: KernelConfig | undefined, backendName: string): KernelFunc {
    if (!stock) throw new Error(`${_FusedMatMul}: the fast kernel wraps the stock ${backendName} kernel, which is not registered`);
    return ({ inputs, backend, attrs }) => {
      const a = requireInput(inputs, 'a', _FusedMatMul);
      const b = requireInput(inputs, 'b', _FusedMatMul);
      const { bias, preluActivationWeights } = inputs as Partial<_FusedMatMulInputs>;
      const fused = attrs as unknown as _FusedMatMulAttrs;
      const { transposeA, transposeB } = fused;
      const flattenable = canFlatten(a, b);
      const biasPerColumn = bias == null || (bias.shape.length === 1 && bias.shape[0] === outColumns(b, transposeB));
      const preluFits = preluActivationWeights == null || batchSize(a) === 1;

      if (flattenable && biasPerColumn && preluFits) {
        if (isAlreadyFlat(a, b, transposeA, transposeB)) return stock.kernelFunc({ inputs, backend, attrs });
        return composeKernel(backend, backendName, (scope) => {
          const flat = flattenMatMul(scope, a, b, transposeA, transposeB);
          const product = scope.runFunc(stock.kernelFunc, { ...inputs, a: flat.a, b: flat.b }, { ...attrs, transposeA: false, transposeB: false });
          return scope.reshape(product, flat.outShape);
        });
      }
      if (bias == null) return stock.kernelFunc({ inputs, backend, attrs });
      return composeKernel(backend, backendName, (scope) => {
        const bare = { transposeA, transposeB, activation: 'linear' };
        let product: TensorInfo;
        if (flattenable) {
          const flat = flattenMatMul(scope, a, b, transposeA, transposeB);
          product = scope.reshape(scope.runFunc(stock.kernelFunc, { a: flat.a, b: flat.b }, { ...bare, transposeA: false, transposeB: false }), flat.outShape);
        } else {
          product = scope.runFunc(stock.kernelFunc, { a, b }, bare);
        }
        return biasAndActivation(scope, product, bias, preluActivationWeights, fused);
      });
    };
  },
};
