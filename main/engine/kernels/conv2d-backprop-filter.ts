/**
 * Conv2DBackpropFilter (the filter gradient of tf.conv2d), composed from the
 * backend's own Transpose and Conv2D. Registered for wasm, which ships without one
 * (CNNs cannot train there as shipped), and for cpu, whose own is a direct JS loop
 * 20-65x slower than this (42-67 s against ~1.1 s for the CNN's 5x5x16x32 conv at
 * B=128).
 *
 *   dW[kh, kw, ci, co] = sum_{b, oh, ow} x[b, oh*s + kh - padTop, ow*s + kw - padLeft, ci] * dy[b, oh, ow, co]
 *
 * is itself a forward convolution with the roles swapped: the image is x laid out
 * as [Cin, H, W, B] (channels become the batch, the batch becomes the contracted
 * channels), the "filter" is dy as [OH, OW, B, Cout], dilated by the forward stride,
 * and the output is [Cin, FH, FW, Cout]. On wasm that runs in XNNPACK through the
 * stock Conv2D kernel, at 1.4-3.3x the forward conv's time (docs/benchmarks.md,
 * "Kernels"). On wasm, stride-1 NHWC convs go to Batchscope's GEMM with x read in
 * place (gemm-conv-filter.ts, 2-6x faster than these routes); where it is off
 * (BATCHSCOPE_WASM_GEMM=off), first layers (few input channels) take im2col + MatMul,
 * and 1x1 filters are a plain matmul everywhere.
 */
import {
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { FastKernel } from './fast-kernel';
import { composeKernel, requireInput, type KernelScope } from './kernel-scope';
import { checkShape, explicitPad, forwardConvInfo, padOrCrop, type Conv2DInfo, type Shape4D } from './conv-geometry';
import { inPlaceFilterGradient } from './gemm-conv-filter';


/** A 1x1 conv whose windows all lie inside the input: each output reads x[b, oh*s, ow*s]. */
function isPointwiseWithoutPadding(info: Conv2DInfo): boolean {
  return (
    info.filterHeight === 1 &&
    info.filterWidth === 1 &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    info.outHeight === Math.ceil(info.inHeight / info.strideHeight) &&
    info.outWidth === Math.ceil(info.inWidth / info.strideWidth)
  );
}

/**
 * 1x1 filters (a ResNet's projection shortcuts) are a plain product,
 * dW = x_sub^T dy over all B*OH*OW positions. The stride's subsampling is a 1x1 max
 * pool (exact, ~1 ms, where a strided slice takes ~65 ms on wasm); the product goes
 * through the backend's BatchMatMul (on wasm the fast one).
 */
function pointwiseFilterGradient(scope: KernelScope, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): TensorInfo {
  const { batchSize, inChannels, outChannels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const strided = strideHeight > 1 || strideWidth > 1;
  const sampled = strided ? scope.run('MaxPool', { x }, { filterSize: [1, 1], strides: [strideHeight, strideWidth], pad: 'valid' }) : x;
  const positions = batchSize * outHeight * outWidth;
  const dW = scope.run('BatchMatMul', { a: scope.reshape(sampled, [positions, inChannels]), b: scope.reshape(dy, [positions, outChannels]) }, {
    transposeA: true,
    transposeB: false,
  });
  return scope.reshape(dW, [1, 1, inChannels, outChannels]);
}

/**
 * First layers (1-3 input channels): the swapped convolution below has only
 * Cin*FH*FW output rows, too few for XNNPACK to run efficiently, and im2col + MatMul
 * measured ~1.4x faster on wasm (Cin 1, 5x5: 26 vs 36 ms; Cin 3, 3x3: 20 vs 29 ms).
 * With 16 channels it was 2-3x slower. Stride 1 only: strided slices are slow on wasm.
 */
function prefersIm2col(backendName: string, info: Conv2DInfo): boolean {
  return backendName === 'wasm' && info.strideHeight === 1 && info.strideWidth === 1 && info.inChannels * info.filterHeight * info.filterWidth <= 32;
}

/** dW = patchesᵀ dy with patchesᵀ [FH*FW*Cin, B*OH*OW] built from one slice per filter tap. */
function im2colFilterGradient(scope: KernelScope, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outChannels, outHeight, outWidth, filterHeight, filterWidth, padInfo } = info;
  const positions = batchSize * outHeight * outWidth;
  const channelsFirst = scope.transpose(x, [3, 0, 1, 2]); // [Cin, B, H, W]
  // Pad so that every tap's window is a plain slice; rows past the last window are never read.
  const bottom = Math.max(0, outHeight + filterHeight - 1 - inHeight - padInfo.top);
  const right = Math.max(0, outWidth + filterWidth - 1 - inWidth - padInfo.left);
  const padded = scope.run('PadV2', { x: channelsFirst }, {
    paddings: [[0, 0], [0, 0], [padInfo.top, bottom], [padInfo.left, right]],
    constantValue: 0,
  });
  const taps: TensorInfo[] = [];
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      const tap = scope.crop(padded, [0, 0, kh, kw], [inChannels, batchSize, outHeight, outWidth]);
      taps.push(scope.reshape(tap, [inChannels, positions]));
    }
  }
  const patchesT = taps.length === 1 ? taps[0]! : scope.run('Concat', taps as unknown as NamedTensorInfoMap, { axis: 0 }); // rows (kh, kw, ci)
  const dW = scope.run('BatchMatMul', { a: patchesT, b: scope.reshape(dy, [positions, outChannels]) }, { transposeA: false, transposeB: false });
  return scope.reshape(dW, [filterHeight, filterWidth, inChannels, outChannels]);
}

export interface FilterGradientRoutes {
  /** the GEMM with x read in place (gemm-conv-filter.ts) where it applies; false only to compare routes (bench) */
  inPlace: boolean;
}

export function conv2DBackpropFilterViaConv(
  scope: KernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  attrs: Conv2DBackpropFilterAttrs,
  routes: FilterGradientRoutes = { inPlace: true },
): TensorInfo {
  const channelsLast = (attrs.dataFormat ?? 'NHWC') === 'NHWC';
  const info = forwardConvInfo(Conv2DBackpropFilter, x.shape as Shape4D, attrs.filterShape, attrs.strides, attrs.pad, attrs.dataFormat, attrs.dimRoundingMode);
  checkShape(Conv2DBackpropFilter, 'dy', dy.shape, info.outShape);
  const { inHeight, inWidth, inChannels, filterHeight, filterWidth, outHeight, outWidth, strideHeight, strideWidth, padInfo } = info;
  if (channelsLast && isPointwiseWithoutPadding(info)) return pointwiseFilterGradient(scope, x, dy, info);
  if (channelsLast && routes.inPlace) {
    const dW = inPlaceFilterGradient(scope, x, dy, info);
    if (dW) return dW;
  }
  if (channelsLast && prefersIm2col(scope.backendName, info)) return im2colFilterGradient(scope, x, dy, info);

  // Padding that makes the output exactly FH x FW. It is negative where the forward
  // windows never reach the last rows/columns (a 'valid' or strided conv that does
  // not tile the input, e.g. a 1x1 stride-2 shortcut); rather than crop the large
  // image, pad nothing there and crop the few extra rows off the small result.
  const bottom = padOrCrop(filterHeight + (outHeight - 1) * strideHeight - inHeight - padInfo.top);
  const right = padOrCrop(filterWidth + (outWidth - 1) * strideWidth - inWidth - padInfo.left);

  const image = scope.transpose(x, channelsLast ? [3, 1, 2, 0] : [1, 2, 3, 0]); // [Cin, H, W, B]
  const dyFilter = scope.transpose(dy, channelsLast ? [1, 2, 0, 3] : [2, 3, 0, 1]); // [OH, OW, B, Cout]
  let dW = scope.run('Conv2D', { x: image, filter: dyFilter }, {
    strides: [1, 1],
    pad: explicitPad(padInfo.top, bottom.pad, padInfo.left, right.pad),
    dataFormat: 'NHWC',
    dilations: [strideHeight, strideWidth],
  }); // [Cin, FH (+ bottom.crop), FW (+ right.crop), Cout]
  if (bottom.crop > 0 || right.crop > 0) {
    dW = scope.crop(dW, [0, 0, 0, 0], [inChannels, filterHeight, filterWidth, dy.shape[channelsLast ? 3 : 1]!]);
  }
  return scope.transpose(dW, [1, 2, 0, 3]);
}

export const fastConv2DBackpropFilter: FastKernel = {
  kernelName: Conv2DBackpropFilter,
  backendNames: ['wasm', 'cpu'],
  build(_stock: KernelConfig | undefined, backendName: string): KernelFunc {
    return ({ inputs, backend, attrs }) => {
      const x = requireInput(inputs, 'x', Conv2DBackpropFilter);
      const dy = requireInput(inputs, 'dy', Conv2DBackpropFilter);
      return composeKernel(backend, backendName, (scope) =>
        conv2DBackpropFilterViaConv(scope, x, dy, attrs as unknown as Conv2DBackpropFilterAttrs),
      );
    };
  },
};
