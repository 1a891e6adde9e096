/**
 * Conv2DBackpropFilter (the filter gradient of tf.conv2d), composed from the
 * backend's own Transpose and Conv2D. Registered for wasm, which ships without one
 * (CNNs cannot train there as shipped), and for cpu, whose own is a direct JS loop
 * ~50x slower than this (6.8 s against 0.13 s for a [16,14,14,16] x 5x5x32 conv).
 *
 *   dW[kh, kw, ci, co] = sum_{b, oh, ow} x[b, oh*s + kh - padTop, ow*s + kw - padLeft, ci] * dy[b, oh, ow, co]
 *
 * is itself a forward convolution with the roles swapped: the image is x laid out
 * as [Cin, H, W, B] (channels become the batch, the batch becomes the contracted
 * channels), the "filter" is dy as [OH, OW, B, Cout], dilated by the forward stride,
 * and the output is [Cin, FH, FW, Cout]. On wasm that runs in XNNPACK through the
 * stock Conv2D kernel; an im2col + MatMul variant measured 2-10x slower on the CNN
 * shapes (docs/benchmarks.md, "Kernels").
 */
import {
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { FastKernel } from './fast-kernel';
import { composeKernel, requireInput, type KernelScope } from './kernel-scope';
import { checkShape, explicitPad, forwardConvInfo, padOrCrop } from './conv-geometry';

type Shape4D = [number, number, number, number];

export function conv2DBackpropFilterViaConv(
  scope: KernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  attrs: Conv2DBackpropFilterAttrs,
): TensorInfo {
  const channelsLast = (attrs.dataFormat ?? 'NHWC') === 'NHWC';
  const info = forwardConvInfo(Conv2DBackpropFilter, x.shape as Shape4D, attrs.filterShape, attrs.strides, attrs.pad, attrs.dataFormat, attrs.dimRoundingMode);
  checkShape(Conv2DBackpropFilter, 'dy', dy.shape, info.outShape);
  const { inHeight, inWidth, inChannels, batchSize, filterHeight, filterWidth, outHeight, outWidth, strideHeight, strideWidth, padInfo } = info;

  // The last input row/column the forward window ever touched; rows past it (a
  // 'valid' or strided conv that does not tile the input) would make the padding
  // below negative, so they are cropped instead.
  const bottom = padOrCrop(filterHeight + (outHeight - 1) * strideHeight - inHeight - padInfo.top);
  const right = padOrCrop(filterWidth + (outWidth - 1) * strideWidth - inWidth - padInfo.left);

  let image = scope.transpose(x, channelsLast ? [3, 1, 2, 0] : [1, 2, 3, 0]); // [Cin, H, W, B]
  if (bottom.crop > 0 || right.crop > 0) {
    image = scope.crop(image, [0, 0, 0, 0], [inChannels, inHeight - bottom.crop, inWidth - right.crop, batchSize]);
  }
  const dyFilter = scope.transpose(dy, channelsLast ? [1, 2, 0, 3] : [2, 3, 0, 1]); // [OH, OW, B, Cout]
  const dW = scope.run('Conv2D', { x: image, filter: dyFilter }, {
    strides: [1, 1],
    pad: explicitPad(padInfo.top, bottom.pad, padInfo.left, right.pad),
    dataFormat: 'NHWC',
    dilations: [strideHeight, strideWidth],
  }); // [Cin, FH, FW, Cout]
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
