/**
 * MaxPoolGrad for wasm as a tight JS loop over the wasm heap. The stock C++ kernel
 * takes ~40 ms for a 2x2 pool over [128,28,28,16] (the forward pool: ~1 ms) and was
 * the largest single cost of the CNN's training step once the conv gradients were
 * fast; this loop takes ~16 ms (docs/benchmarks.md, "Kernels").
 *
 * Semantics match tfjs's reference (cpu) kernel exactly: each output routes its dy
 * to the first maximum of its window in row-major scan order (strict `>`: NaN never
 * wins, a window of only NaN or -Infinity routes nothing), and overlapping windows
 * add up.
 */
import { backend_util, MaxPoolGrad, type KernelConfig, type KernelFunc, type MaxPoolGradAttrs } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { FastKernel } from './fast-kernel';
import { requireInput } from './kernel-scope';

type Pool2DInfo = ReturnType<typeof backend_util.computePool2DInfo>;

/** dx += dy routed to each window's first maximum; `dx` must start zeroed. All NHWC. */
export function routeMaxPoolGradient(x: ArrayLike<number>, dy: ArrayLike<number>, dx: Float32Array, info: Pool2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const maxValue = new Float64Array(channels);
  const maxIndex = new Int32Array(channels);
  let dyIndex = 0;
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * inWidth * channels;
    for (let yR = 0; yR < outHeight; yR++) {
      const rowStart = yR * strideHeight - padTop;
      const rowFrom = Math.max(0, rowStart);
      const rowTo = Math.min(inHeight, rowStart + filterHeight);
      for (let yC = 0; yC < outWidth; yC++) {
        const colStart = yC * strideWidth - padLeft;
        const colFrom = Math.max(0, colStart);
        const colTo = Math.min(inWidth, colStart + filterWidth);
        maxValue.fill(Number.NEGATIVE_INFINITY);
        maxIndex.fill(-1);
        for (let xR = rowFrom; xR < rowTo; xR++) {
          for (let xC = colFrom; xC < colTo; xC++) {
            const pixel = xBatch + (xR * inWidth + xC) * channels;
            for (let d = 0; d < channels; d++) {
              const value = x[pixel + d]!;
              if (value > maxValue[d]!) {
                maxValue[d] = value;
                maxIndex[d] = pixel + d;
              }
            }
          }
        }
        for (let d = 0; d < channels; d++, dyIndex++) {
          const at = maxIndex[d]!;
          if (at >= 0) dx[at] = dx[at]! + dy[dyIndex]!;
        }
      }
    }
  }
}

export const wasmMaxPoolGrad: FastKernel = {
  kernelName: MaxPoolGrad,
  backendNames: ['wasm'],
  build(stock: KernelConfig | undefined): KernelFunc {
    return ({ inputs, backend, attrs }) => {
      const dy = requireInput(inputs, 'dy', MaxPoolGrad);
      const x = requireInput(inputs, 'input', MaxPoolGrad);
      const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
      if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
        if (stock) return stock.kernelFunc({ inputs, backend, attrs });
        throw new Error(`${MaxPoolGrad}: expected float32 tensors, got input ${x.dtype} and dy ${dy.dtype}`);
      }
      const info = backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
      const wasm = backend as BackendWasm;
      // Allocate first: growing the wasm heap detaches earlier views of it.
      const dx = wasm.makeOutput(x.shape, 'float32');
      const dxValues = wasm.typedArrayFromHeap(dx) as Float32Array;
      dxValues.fill(0);
      routeMaxPoolGradient(wasm.typedArrayFromHeap(x), wasm.typedArrayFromHeap(dy), dxValues, info);
      return dx;
    };
  },
};
