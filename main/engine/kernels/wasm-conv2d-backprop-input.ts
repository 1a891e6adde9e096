/**
 * Conv2DBackpropInput (the input gradient of tf.conv2d) for wasm. The stock kernel
 * is a direct C++ loop, 5-15x slower than the forward conv on the CNN and ResNet
 * shapes; this one runs forward convolutions in XNNPACK (docs/benchmarks.md,
 * "Kernels").
 *
 * Stride 1: dx = conv(dy, W flipped in space with in/out channels swapped).
 * Stride s > 1: one such conv per output row phase, on sub-sampled taps of the
 * flipped filter (stride-phases.ts), so no FLOPs are spent on the zeros a
 * "dilate dy, then convolve" transposed convolution would multiply (s^2 more work).
 * The column phases share one conv as separate output-channel blocks, which leaves
 * them interleaved in memory; row phases are interleaved by one cheap concat.
 */
import {
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { FastKernel } from './fast-kernel';
import { composeKernel, requireInput, type KernelScope } from './kernel-scope';
import { checkShape, explicitPad, forwardConvInfo, padOrCrop, type Shape4D } from './conv-geometry';
import { axisPhases, mergeColumnPhases, type AxisPhase, type MergedPhases } from './stride-phases';

function zeros(scope: KernelScope, shape: number[]): TensorInfo {
  return scope.run('Fill', {}, { shape, value: 0, dtype: 'float32' });
}

/** Stride-1 conv of NHWC `x` with signed paddings (negative ones crop `x`). */
function convSignedPad(scope: KernelScope, x: TensorInfo, filter: TensorInfo, top: number, bottom: number, left: number, right: number): TensorInfo {
  const [batch, height, width, channels] = x.shape as Shape4D;
  const t = padOrCrop(top);
  const b = padOrCrop(bottom);
  const l = padOrCrop(left);
  const r = padOrCrop(right);
  const input = t.crop + b.crop + l.crop + r.crop > 0
    ? scope.crop(x, [0, t.crop, l.crop, 0], [batch, height - t.crop - b.crop, width - l.crop - r.crop, channels])
    : x;
  return scope.run('Conv2D', { x: input, filter }, {
    strides: [1, 1],
    pad: explicitPad(t.pad, b.pad, l.pad, r.pad),
    dataFormat: 'NHWC',
    dilations: [1, 1],
  });
}

/** Filter for one row phase: [rowTaps, merged.width, Cout, strideW * Cin], column phases as channel blocks. */
function rowPhaseFilter(
  scope: KernelScope,
  flipped: TensorInfo,
  row: AxisPhase,
  columns: AxisPhase[],
  merged: MergedPhases,
  strideHeight: number,
  strideWidth: number,
): TensorInfo {
  const [, , outChannels, inChannels] = flipped.shape as Shape4D;
  const blocks = columns.map((column, q) => {
    if (column.taps === 0) return zeros(scope, [row.taps, merged.width, outChannels, inChannels]);
    const taps = scope.run('StridedSlice', { x: flipped }, {
      begin: [row.firstTap, column.firstTap, 0, 0],
      end: [row.firstTap + strideHeight * (row.taps - 1) + 1, column.firstTap + strideWidth * (column.taps - 1) + 1, outChannels, inChannels],
      strides: [strideHeight, strideWidth, 1, 1],
      beginMask: 0,
      endMask: 0,
      ellipsisMask: 0,
      newAxisMask: 0,
      shrinkAxisMask: 0,
    });
    const offset = merged.offsets[q]!;
    const after = merged.width - offset - column.taps;
    if (offset === 0 && after === 0) return taps;
    return scope.run('PadV2', { x: taps }, { paddings: [[0, 0], [offset, after], [0, 0], [0, 0]], constantValue: 0 });
  });
  return blocks.length === 1 ? blocks[0]! : scope.run('Concat', blocks as unknown as NamedTensorInfoMap, { axis: 3 });
}

export function conv2DBackpropInputViaConv(scope: KernelScope, dy: TensorInfo, filter: TensorInfo, attrs: Conv2DBackpropInputAttrs): TensorInfo {
  const channelsLast = (attrs.dataFormat ?? 'NHWC') === 'NHWC';
  const info = forwardConvInfo(Conv2DBackpropInput, attrs.inputShape, filter.shape as Shape4D, attrs.strides, attrs.pad, attrs.dataFormat, attrs.dimRoundingMode);
  checkShape(Conv2DBackpropInput, 'dy', dy.shape, info.outShape);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, padInfo } = info;

  const rowsPerPhase = Math.ceil(inHeight / strideHeight);
  const colsPerPhase = Math.ceil(inWidth / strideWidth);
  const rowPhases = axisPhases(filterHeight, strideHeight, padInfo.top, outHeight, rowsPerPhase);
  const colPhases = axisPhases(filterWidth, strideWidth, padInfo.left, outWidth, colsPerPhase);
  const merged = mergeColumnPhases(colPhases);
  const left = merged.before;
  const right = colsPerPhase + merged.width - 1 - outWidth - left;
  const rowLength = colsPerPhase * strideWidth * inChannels;

  const dyNhwc = channelsLast ? dy : scope.transpose(dy, [0, 2, 3, 1]);
  const reversed = scope.run('Reverse', { x: filter }, { dims: [0, 1] });
  const flipped = scope.transpose(reversed, [0, 1, 3, 2]); // [FH, FW, Cout, Cin]
  const rowBlocks = rowPhases.map((row) => {
    if (row.taps === 0) return zeros(scope, [batchSize, rowsPerPhase, 1, rowLength]);
    const phaseFilter = rowPhaseFilter(scope, flipped, row, colPhases, merged, strideHeight, strideWidth);
    const phase = convSignedPad(scope, dyNhwc, phaseFilter, row.before, row.after, left, right);
    return scope.reshape(phase, [batchSize, rowsPerPhase, 1, rowLength]);
  });
  const interleaved = rowBlocks.length === 1 ? rowBlocks[0]! : scope.run('Concat', rowBlocks as unknown as NamedTensorInfoMap, { axis: 2 });
  let dx = scope.reshape(interleaved, [batchSize, rowsPerPhase * strideHeight, colsPerPhase * strideWidth, inChannels]);
  if (rowsPerPhase * strideHeight !== inHeight || colsPerPhase * strideWidth !== inWidth) {
    dx = scope.crop(dx, [0, 0, 0, 0], [batchSize, inHeight, inWidth, inChannels]);
  }
  return channelsLast ? dx : scope.transpose(dx, [0, 3, 1, 2]);
}

export const wasmConv2DBackpropInput: FastKernel = {
  kernelName: Conv2DBackpropInput,
  backendNames: ['wasm'],
  build(_stock: KernelConfig | undefined, backendName: string): KernelFunc {
    return ({ inputs, backend, attrs }) => {
      const dy = requireInput(inputs, 'dy', Conv2DBackpropInput);
      const filter = requireInput(inputs, 'filter', Conv2DBackpropInput);
      return composeKernel(backend, backendName, (scope) =>
        conv2DBackpropInputViaConv(scope, dy, filter, attrs as unknown as Conv2DBackpropInputAttrs),
      );
    };
  },
};
