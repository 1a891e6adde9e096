/**
 * Conv2D on wasm through Batchscope's GEMM (gemm/) with the input's windows read in
 * place: stride 1, dilation 1, NHWC, float32, and at least MIN_TAP_VALUES values per
 * filter row; everything else runs the stock (XNNPACK) kernel.
 *
 * x is padded once to xp [B, Hp, Wp, Cin] (padded-grid.ts). With p = r·Wp + c a
 * position in one image's grid, the FW·Cin values of filter row kh's window lie
 * contiguously at xp_b[(p + kh·Wp)·Cin …], so
 *
 *   y_grid_b[p, co] = Σ_kh Σ_k' xp_b[(p + kh·Wp)·Cin + k'] · W[kh][k', co]
 *
 * is one GEMM per image and kh, C += A_kh · W[kh], whose A is xp itself (rows at a
 * stride of Cin, overlapping). The products land on a grid of width Wp (positions
 * with c ≥ OW are wrapped windows, never read) and are copied out to [B, OH, OW, Cout].
 * Each output sums kh ascending, then k' within: an order fixed by the shapes.
 *
 * Stride-1 Conv2DBackpropInput (and each row phase of a strided one) runs its
 * convolution through this kernel too (wasm-conv2d-backprop-input.ts).
 */
import {
  backend_util,
  Conv2D,
  type Conv2DAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { FastKernel } from './fast-kernel';
import { composeKernel, requireInput } from './kernel-scope';
import type { Conv2DInfo, Shape4D } from './conv-geometry';
import { gemmOn } from './gemm/backend-heap';
import { gemmMode } from './gemm/gemm-module';
import { paddedGrid, padNhwc } from './padded-grid';

/**
 * Fewer values per filter row (K of each call) measured slower than XNNPACK: the CNN's
 * first layer, 5×5 on one channel (K = 5), spends its time adding tiles of C per call.
 */
const MIN_TAP_VALUES = 16;

function takes(x: TensorInfo, filter: TensorInfo, info: Conv2DInfo): boolean {
  return (
    x.dtype === 'float32' &&
    filter.dtype === 'float32' &&
    info.dataFormat === 'channelsLast' &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.batchSize > 0 &&
    info.outHeight > 0 &&
    info.outWidth > 0 &&
    info.outChannels > 0 &&
    info.filterWidth * info.inChannels >= MIN_TAP_VALUES &&
    paddedGrid(info) !== undefined
  );
}

/** y [B, OH, OW, Cout]; undefined where the GEMM is off or cannot run on this heap. */
function inPlaceConv2D(backend: BackendWasm, x: TensorInfo, filter: TensorInfo, info: Conv2DInfo): TensorInfo | undefined {
  const gemm = gemmOn(backend);
  const grid = paddedGrid(info);
  if (!gemm || !grid) return undefined;
  return composeKernel(backend, 'wasm', (scope) => {
    const { batchSize, inChannels, outChannels, outHeight, outWidth, filterHeight, filterWidth, padInfo } = info;
    const { gridHeight, gridWidth, bottom, right } = grid;
    const xp = padNhwc(scope, x, padInfo.top, bottom, padInfo.left, right, 'rows');
    const onGrid = scope.adopt(backend.makeOutput([batchSize, outHeight, gridWidth, outChannels], 'float32'));
    const out = scope.adopt(backend.makeOutput([batchSize, outHeight, outWidth, outChannels], 'float32'));
    // pointers after every allocation: offsets stay valid when the heap grows
    const xpPtr = backend.getMemoryOffset(xp.dataId);
    const filterPtr = backend.getMemoryOffset(filter.dataId);
    const gridPtr = backend.getMemoryOffset(onGrid.dataId);
    // up to and including the last output position of an image, (OH − 1, OW − 1)
    const positions = (outHeight - 1) * gridWidth + outWidth;
    const tapValues = filterWidth * inChannels;
    for (let b = 0; b < batchSize; b++) {
      for (let kh = 0; kh < filterHeight; kh++) {
        gemm.run({
          a: xpPtr + 4 * (b * gridHeight + kh) * gridWidth * inChannels,
          aRowStride: inChannels,
          aKStride: 1,
          b: filterPtr + 4 * kh * tapValues * outChannels,
          bKStride: outChannels,
          bColStride: 1,
          c: gridPtr + 4 * b * outHeight * gridWidth * outChannels,
          m: positions,
          n: outChannels,
          k: tapValues,
          relu: false,
          accumulate: kh > 0,
        });
      }
    }
    const from = backend.typedArrayFromHeap(onGrid) as Float32Array;
    const to = backend.typedArrayFromHeap(out) as Float32Array;
    const rowIn = gridWidth * outChannels;
    const rowOut = outWidth * outChannels;
    for (let row = 0; row < batchSize * outHeight; row++) to.set(from.subarray(row * rowIn, row * rowIn + rowOut), row * rowOut);
    return out;
  });
}

export const gemmConv2D: FastKernel = {
  kernelName: Conv2D,
  backendNames: ['wasm'],
  build(stock: KernelConfig | undefined, backendName: string): KernelFunc {
    if (!stock) throw new Error(`Conv2D: the ${backendName} backend has no stock kernel to fall back on`);
    gemmMode(); // a wrong BATCHSCOPE_WASM_GEMM fails here, at registration
    return (args) => {
      const x = requireInput(args.inputs, 'x', Conv2D);
      const filter = requireInput(args.inputs, 'filter', Conv2D);
      const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs as unknown as Conv2DAttrs;
      const info = backend_util.computeConv2DInfo(
        x.shape as Shape4D,
        filter.shape as Shape4D,
        strides,
        dilations,
        pad,
        dimRoundingMode,
        false,
        backend_util.convertConv2DDataFormat(dataFormat),
      );
      const y = takes(x, filter, info) ? inPlaceConv2D(args.backend as BackendWasm, x, filter, info) : undefined;
      return y ?? stock.kernelFunc(args);
    };
  },
};
