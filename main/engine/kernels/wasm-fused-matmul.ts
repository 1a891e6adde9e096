/**
 * _FusedMatMul (matmul + bias + activation, as in tf.fused.matMul) for wasm. The stock
 * kernel shares BatchMatMul's slow path for transposed or batched operands (a
 * transposed [256,784] x [784,256] with bias and relu: ~100 ms vs ~8 ms); this one
 * flattens the product first (flat-matmul.ts).
 *
 * Only rewritten where the flattened product is provably the same computation: the
 * bias, if any, is one value per output column (the XNNPACK path reads exactly N
 * values), and a prelu's weights, which broadcast against the output's own shape,
 * are only accepted when nothing was flattened.
 *
 * The stock slow path also adds a per-column bias wrongly (it indexes the bias by
 * row * N + column, clamped to its last element), so with a batched `b`, where the
 * stock product has to stay, bias and activation are applied as separate kernels.
 */
import { _FusedMatMul, util, type _FusedMatMulAttrs, type _FusedMatMulInputs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
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
      const { transposeA, transposeB } = attrs as unknown as _FusedMatMulAttrs;
      const biasFits = bias == null || (bias.shape.length === 1 && bias.shape[0] === outColumns(b, transposeB));
      const preluFits = preluActivationWeights == null || batchSize(a) === 1;
      const hasColumnBias = bias != null && util.sizeFromShape(bias.shape) > 1;
      if (!canFlatten(a, b) && hasColumnBias) {
        return composeKernel(backend, backendName, (scope) => {
          const product = scope.runFunc(stock.kernelFunc, { a, b }, { ...attrs, activation: 'linear' });
          return biasAndActivation(scope, product, bias, preluActivationWeights, attrs as unknown as _FusedMatMulAttrs);
        });
      }
      if (!canFlatten(a, b) || !biasFits || !preluFits || isAlreadyFlat(a, b, transposeA, transposeB)) {
        return stock.kernelFunc({ inputs, backend, attrs });
      }
      return composeKernel(backend, backendName, (scope) => {
        const flat = flattenMatMul(scope, a, b, transposeA, transposeB);
        const product = scope.runFunc(
          stock.kernelFunc,
          { ...inputs, a: flat.a, b: flat.b },
          { ...attrs, transposeA: false, transposeB: false },
        );
        return scope.reshape(product, flat.outShape);
      });
    };
  },
};
