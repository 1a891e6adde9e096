/**
 * MaxPoolGrad for wasm as tight JS loops over the wasm heap. The stock C++ kernel
 * takes ~40 ms for a 2x2 pool over [128,28,28,16] (the forward pool: ~1 ms) and was
 * the largest single cost of the CNN's training step once the conv gradients were
 * fast; this loop takes ~16 ms (docs/benchmarks.md, "Kernels").
 *
 * Semantics match tfjs's reference (cpu) kernel bit for bit: each output routes its
 * dy to the first maximum of its window in row-major scan order (strict `>`: NaN
 * never wins, a window of only NaN or -Infinity routes nothing), and where windows
 * overlap, the dy routed to one input add up in float64 in output order and are
 * rounded to float32 once. The reference's sums start at 0, so a routed -0 lands as 0.
 */
import { backend_util, MaxPoolGrad, type KernelConfig, type KernelFunc, type MaxPoolGradAttrs } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { FastKernel } from './fast-kernel';
import { requireInput } from './kernel-scope';

type Pool2DInfo = ReturnType<typeof backend_util.computePool2DInfo>;

/** Bounds of one output's window, clipped to the input: rows [rowFrom, rowTo), columns [colFrom, colTo). */
interface Window {
  rowFrom: number;
  rowTo: number;
  colFrom: number;
  colTo: number;
}

function clippedWindow(info: Pool2DInfo, yR: number, yC: number, window: Window): void {
  const rowStart = yR * info.strideHeight - info.padInfo.top;
  const colStart = yC * info.strideWidth - info.padInfo.left;
  window.rowFrom = Math.max(0, rowStart);
  window.rowTo = Math.min(info.inHeight, rowStart + info.filterHeight);
  window.colFrom = Math.max(0, colStart);
  window.colTo = Math.min(info.inWidth, colStart + info.filterWidth);
}

/** dx = dy routed to each window's first maximum; `dx` must start zeroed. All NHWC float32. */
export function routeMaxPoolGradient(x: Float32Array, dy: Float32Array, dx: Float32Array, info: Pool2DInfo): void {
  routeOverlappingWindows(x, dy, dx, info);
}

/** The reference's float64 sums, in its order, rounded into dx once at the end. */
function routeOverlappingWindows(x: Float32Array, dy: Float32Array, dx: Float32Array, info: Pool2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const sums = new Float64Array(dx.length);
  const maxValue = new Float64Array(channels);
  const maxIndex = new Int32Array(channels);
  const window: Window = { rowFrom: 0, rowTo: 0, colFrom: 0, colTo: 0 };
  let dyAt = 0;
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * inWidth * channels;
    for (let yR = 0; yR < outHeight; yR++) {
      for (let yC = 0; yC < outWidth; yC++) {
        clippedWindow(info, yR, yC, window);
        maxValue.fill(Number.NEGATIVE_INFINITY);
        maxIndex.fill(-1);
        for (let xR = window.rowFrom; xR < window.rowTo; xR++) {
          for (let xC = window.colFrom; xC < window.colTo; xC++) {
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
        for (let d = 0; d < channels; d++, dyAt++) {
          const at = maxIndex[d]!;
          if (at >= 0) sums[at] = sums[at]! + dy[dyAt]!;
        }
      }
    }
  }
  dx.set(sums);
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
      routeMaxPoolGradient(wasm.typedArrayFromHeap(x) as Float32Array, wasm.typedArrayFromHeap(dy) as Float32Array, dxValues, info);
      return dx;
    };
  },
};
