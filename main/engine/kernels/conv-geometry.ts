/**
 * Shared arithmetic for expressing a convolution's gradients as forward convolutions.
 * All shapes here are NHWC; NCHW callers transpose at the edges.
 */
import { backend_util, type Conv2DAttrs } from '@tensorflow/tfjs-core';

export type Conv2DInfo = ReturnType<typeof backend_util.computeConv2DInfo>;
export type Shape4D = [number, number, number, number];
type Padding = Conv2DAttrs['pad'];

/** The forward convolution a gradient kernel belongs to, as tf.conv2d computed it. */
export function forwardConvInfo(
  kernelName: string,
  inShape: Shape4D,
  filterShape: Shape4D,
  strides: [number, number] | number,
  pad: Padding,
  dataFormat: 'NHWC' | 'NCHW' | undefined,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
): Conv2DInfo {
  const info = backend_util.computeConv2DInfo(
    inShape,
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat ?? 'NHWC'),
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new Error(`${kernelName}: dilations other than 1 are not supported in conv2d gradients`);
  }
  return info;
}

export function checkShape(kernelName: string, what: string, actual: readonly number[], expected: readonly number[]): void {
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
    throw new Error(`${kernelName}: ${what} has shape [${actual}] but the convolution implies [${expected}]`);
  }
}

/** Explicit NHWC padding for a Conv2D kernel call. */
export function explicitPad(top: number, bottom: number, left: number, right: number): [[0, 0], [number, number], [number, number], [0, 0]] {
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}

/**
 * Splits a signed padding into the part a conv can pad (>= 0) and the rows it must
 * crop from the input instead (a negative pad means those rows are never read).
 */
export function padOrCrop(pad: number): { pad: number; crop: number } {
  return pad >= 0 ? { pad, crop: 0 } : { pad: 0, crop: -pad };
}
