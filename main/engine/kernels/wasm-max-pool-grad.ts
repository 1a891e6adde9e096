/**
 * MaxPoolGrad for wasm as tight JS loops over the wasm heap. The stock C++ kernel
 * takes ~40 ms for a 2x2 pool over [128,28,28,16] (the forward pool: ~1 ms); a
 * generic JS loop took 12–14 ms, and the disjoint-window path below 3–4 ms
 * (docs/benchmarks.md, "Kernels"). Runs of whole 2x2 windows over a multiple of 4
 * channels go to a wasm SIMD router with the same semantics (wasm-max-pool-module.ts):
 * the kernel 4.5 → 1.4 ms on that shape.
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
import { routeRowOn, type RouteRow } from './wasm-max-pool-module';

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

/** The three tensors' byte offsets in the heap, and the SIMD router of whole 2x2 windows (wasm-max-pool-module.ts). */
export interface HeapRoute {
  row: RouteRow;
  x: number;
  dy: number;
  dx: number;
}

/**
 * dx = dy routed to each window's first maximum; `dx` must start zeroed. All NHWC float32.
 * With `simd`, runs of whole 2x2 windows over a multiple of 4 channels go to its row router.
 */
export function routeMaxPoolGradient(x: Float32Array, dy: Float32Array, dx: Float32Array, info: Pool2DInfo, simd?: HeapRoute): void {
  const disjoint = info.strideHeight >= info.filterHeight && info.strideWidth >= info.filterWidth;
  if (disjoint) routeDisjointWindows(x, dy, dx, info, info.inChannels % 4 === 0 ? simd : undefined);
  else routeOverlappingWindows(x, dy, dx, info);
}

const infinityBits = 0x7f800000;
/** orderKey of -Infinity: no window routes to it, nor to NaN, which shares it */
const lowestKey = -infinityBits;

/**
 * A float32's bits as an int32 ordered as the floats are, -0 equal to 0, NaN as
 * -Infinity (it never wins either). Integer compares and selects need no branches.
 */
function orderKey(bits: number): number {
  const magnitude = bits & 0x7fffffff;
  const sign = bits >> 31;
  const key = (magnitude ^ sign) - sign;
  return magnitude > infinityBits ? lowestKey : key; // NaN: rare, so the branch predicts well
}

/**
 * One 2x2 window, every channel. The winner is picked without branches, as a
 * tournament of order keys in which the earlier side wins ties: with random inputs a
 * branch on the winner is mispredicted about half the time, which cost more than all
 * the comparisons (a one-off comparison on [128,28,28,16]: 7.1 ms branching, 3.0 ms
 * branch-free on floats, 2.6 ms on order keys).
 */
function routeWindows2x2(xBits: Int32Array, dy: Float32Array, dx: Float32Array, corner: number, dyAt: number, channels: number, rowStride: number): void {
  for (let d = 0; d < channels; d++) {
    const topLeft = corner + d;
    const k0 = orderKey(xBits[topLeft]!);
    const k1 = orderKey(xBits[topLeft + channels]!);
    const k2 = orderKey(xBits[topLeft + rowStride]!);
    const k3 = orderKey(xBits[topLeft + rowStride + channels]!);
    // top row, bottom row, then the rows against each other; `a ^ ((a ^ b) & -pick)` is pick ? b : a
    const topRight = +(k1 > k0);
    const bottomRight = +(k3 > k2);
    const topMax = k0 ^ ((k0 ^ k1) & -topRight);
    const bottomMax = k2 ^ ((k2 ^ k3) & -bottomRight);
    const bottom = +(bottomMax > topMax);
    const right = topRight ^ ((topRight ^ bottomRight) & -bottom);
    const winner = topLeft + bottom * rowStride + right * channels;
    if ((topMax ^ ((topMax ^ bottomMax) & -bottom)) > lowestKey) dx[winner] = 0 + dy[dyAt + d]!;
  }
}

/**
 * Windows that do not overlap (stride ≥ filter both ways, the usual 2x2 stride 2
 * pool): every input gets at most one dy, so it is written, not summed. Windows
 * clipped to 2x2 (all of them in a 2x2 pool) take routeWindows2x2, others a scan.
 */
function routeDisjointWindows(x: Float32Array, dy: Float32Array, dx: Float32Array, info: Pool2DInfo, simd: HeapRoute | undefined): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const xBits = new Int32Array(x.buffer, x.byteOffset, x.length);
  const rowStride = inWidth * channels;
  const window: Window = { rowFrom: 0, rowTo: 0, colFrom: 0, colTo: 0 };
  // a run of whole 2x2 windows not yet routed: its first window's corner and dy, and its length
  let run = { corner: 0, dyAt: 0, windows: 0 };
  const flush = (): void => {
    if (run.windows === 0) return;
    const colStep = 4 * info.strideWidth * channels;
    simd!.row(simd!.x + 4 * run.corner, simd!.dy + 4 * run.dyAt, simd!.dx + 4 * run.corner, run.windows, 4 * channels, 4 * rowStride, colStep);
    run = { corner: 0, dyAt: 0, windows: 0 };
  };
  let dyAt = 0;
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * rowStride;
    for (let yR = 0; yR < outHeight; yR++) {
      for (let yC = 0; yC < outWidth; yC++, dyAt += channels) {
        clippedWindow(info, yR, yC, window);
        const { rowFrom, rowTo, colFrom, colTo } = window;
        const corner = xBatch + rowFrom * rowStride + colFrom * channels;
        if (rowTo - rowFrom === 2 && colTo - colFrom === 2) {
          if (!simd) {
            routeWindows2x2(xBits, dy, dx, corner, dyAt, channels, rowStride);
            continue;
          }
          // a run's windows lie a stride apart: a window clipped to 2x2 by the padding may not
          if (run.windows > 0 && corner !== run.corner + run.windows * info.strideWidth * channels) flush();
          if (run.windows === 0) run = { corner, dyAt, windows: 1 };
          else run.windows++;
          continue;
        }
        flush();
        for (let d = 0; d < channels; d++) {
          let maxValue = Number.NEGATIVE_INFINITY;
          let winner = -1;
          for (let xR = rowFrom, rowAt = corner + d; xR < rowTo; xR++, rowAt += rowStride) {
            for (let xC = colFrom, at = rowAt; xC < colTo; xC++, at += channels) {
              const value = x[at]!;
              if (value > maxValue) {
                maxValue = value;
                winner = at;
              }
            }
          }
          if (winner >= 0) dx[winner] = 0 + dy[dyAt + d]!;
        }
      }
      flush(); // the next output row's windows are not colStep on from this one's
    }
  }
}

/** Overlapping windows: the reference's float64 sums, in its order, rounded into dx once at the end. */
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

/** Whole 2x2 stride 2 windows cover every place of x, over a multiple of 4 channels (the SIMD router's case). */
function tiledBy2x2(info: Pool2DInfo): boolean {
  const { filterHeight, filterWidth, strideHeight, strideWidth, padInfo, inHeight, inWidth, outHeight, outWidth, inChannels } = info;
  return (
    filterHeight === 2 &&
    filterWidth === 2 &&
    strideHeight === 2 &&
    strideWidth === 2 &&
    padInfo.top === 0 &&
    padInfo.left === 0 &&
    inHeight === 2 * outHeight &&
    inWidth === 2 * outWidth &&
    inChannels % 4 === 0
  );
}

let simdOff = false;

/** Tests and benchmarks: route every window in JS (true) or let whole 2x2 windows take the SIMD router (false, the default). */
export function forceJsMaxPoolGrad(on: boolean): void {
  simdOff = on;
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
      const row = simdOff ? null : routeRowOn(wasm);
      const simd = row ? { row, x: wasm.getMemoryOffset(x.dataId), dy: wasm.getMemoryOffset(dy.dataId), dx: wasm.getMemoryOffset(dx.dataId) } : undefined;
      // the SIMD router writes every place of its windows: where they tile x, nothing is left to zero
      if (!(simd && tiledBy2x2(info))) dxValues.fill(0);
      routeMaxPoolGradient(wasm.typedArrayFromHeap(x) as Float32Array, wasm.typedArrayFromHeap(dy) as Float32Array, dxValues, info, simd);
      return dx;
    };
  },
};
