/**
 * The padded input grid that the in-place GEMM convolutions (stride 1) read their
 * windows from: x padded to exactly Hp = OH + FH − 1 rows and Wp = OW + FW − 1
 * columns, so that a window starting at grid position p covers FW·Cin consecutive
 * values per filter row.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelScope } from './kernel-scope';
import type { Conv2DInfo } from './conv-geometry';

/**
 * The padded grid and the padding that makes it: exactly what the windows need,
 * Hp = OH + FH − 1 (tfjs's numeric padding can pad more on one side than the windows
 * reach: that side is padded less; undefined where x itself would have to be cropped).
 */
export function paddedGrid(info: Conv2DInfo): { gridHeight: number; gridWidth: number; bottom: number; right: number } | undefined {
  const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, padInfo } = info;
  const gridHeight = outHeight + filterHeight - 1;
  const gridWidth = outWidth + filterWidth - 1;
  const bottom = gridHeight - inHeight - padInfo.top;
  const right = gridWidth - inWidth - padInfo.left;
  return padInfo.top >= 0 && padInfo.left >= 0 && bottom >= 0 && right >= 0 ? { gridHeight, gridWidth, bottom, right } : undefined;
}

/**
 * `src` [B, H, W, C] copied into a new [B, H + top + bottom, W + left + right, C], zeros
 * around it, row by row in the wasm heap (faster than tfjs's PadV2 kernel at these sizes:
 * docs/benchmarks.md, "The filter gradient with x read in place").
 */
export function padNhwc(scope: KernelScope, src: TensorInfo, top: number, bottom: number, left: number, right: number): TensorInfo {
  if (top + bottom + left + right === 0) return src;
  const backend = scope.backend as unknown as BackendWasm;
  const [batch, height, width, channels] = src.shape as [number, number, number, number];
  const [outHeight, outWidth] = [height + top + bottom, width + left + right];
  const out = scope.adopt(backend.makeOutput([batch, outHeight, outWidth, channels], 'float32'));
  // one view of the whole heap, both tensors in it: copyWithin and fill make no subarray per row
  const heap = new Float32Array((backend.typedArrayFromHeap(out) as Float32Array).buffer);
  const to = backend.getMemoryOffset(out.dataId) / 4;
  const from = backend.getMemoryOffset(src.dataId) / 4;
  const rowIn = width * channels;
  const rowOut = outWidth * channels;
  const imageOut = outHeight * rowOut;
  for (let b = 0; b < batch; b++) {
    const image = to + b * imageOut;
    heap.fill(0, image, image + top * rowOut + left * channels);
    for (let h = 0; h < height; h++) {
      const at = image + (top + h) * rowOut + left * channels;
      const rowAt = from + (b * height + h) * rowIn;
      heap.copyWithin(at, rowAt, rowAt + rowIn);
      // this row's right padding and the next row's left padding
      heap.fill(0, at + rowIn, h + 1 < height ? at + rowOut : image + imageOut);
    }
  }
  return out;
}

