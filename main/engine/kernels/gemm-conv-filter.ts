/**
 * Conv2DBackpropFilter on wasm through Batchscope's GEMM (gemm/), with the patch
 * matrix read in place instead of gathered: stride 1, NHWC, float32.
 *
 * Pad x once to xp [B, Hp, Wp, Cin] with Hp = OH + FH − 1, Wp = OW + FW − 1 (every
 * window inside it) and dy to the same width, dyp [B, OH, Wp, Cout], zero where
 * c ≥ OW. With p = r·Wp + c a position in one image's grid, filter row kh's window
 * for p starts at p + kh·Wp, and its FW·Cin values (kw, ci) lie contiguously at
 * xp_b[(p + kh·Wp)·Cin …]. So
 *
 *   dW[kh][kw·Cin + ci, co] = Σ_b Σ_p xp_b[(p + kh·Wp)·Cin + kw·Cin + ci] · dyp_b[p·Cout + co]
 *
 * is a GEMM per image and kh whose A is xp itself, transposed, with overlapping rows
 * (row stride 1, k stride Cin). Windows of positions with c ≥ OW wrap into the next
 * grid row, but meet dyp's zeros.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelScope } from './kernel-scope';
import type { Conv2DInfo } from './conv-geometry';
import { gemmOn } from './gemm/backend-heap';

/**
 * The padded grid and the padding that makes it: exactly what the windows need,
 * Hp = OH + FH − 1 (tfjs's numeric padding can pad more on one side than the windows
 * reach: that side is padded less; undefined where x itself would have to be cropped).
 */
function gridOf(info: Conv2DInfo): { gridHeight: number; gridWidth: number; bottom: number; right: number } | undefined {
  const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, padInfo } = info;
  const gridHeight = outHeight + filterHeight - 1;
  const gridWidth = outWidth + filterWidth - 1;
  const bottom = gridHeight - inHeight - padInfo.top;
  const right = gridWidth - inWidth - padInfo.left;
  return padInfo.top >= 0 && padInfo.left >= 0 && bottom >= 0 && right >= 0 ? { gridHeight, gridWidth, bottom, right } : undefined;
}

/** Whether the in-place route computes `info`'s filter gradient (the caller checks NHWC). */
export function takesInPlaceFilterGradient(scope: KernelScope, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): boolean {
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  return (
    scope.backendName === 'wasm' &&
    x.dtype === 'float32' &&
    dy.dtype === 'float32' &&
    strideHeight === 1 &&
    strideWidth === 1 &&
    dilationHeight === 1 &&
    dilationWidth === 1 &&
    info.outHeight > 0 &&
    info.outWidth > 0 &&
    info.batchSize > 0 &&
    gridOf(info) !== undefined
  );
}

/** How the padded copies are made: tfjs's PadV2 kernel, or rows copied in JS (the benchmark compares them). */
export type PadWith = 'PadV2' | 'rows';

/** `src` [B, H, W, C] copied into a new [B, H + top + bottom, W + left + right, C], zeros around it. */
function padded(scope: KernelScope, src: TensorInfo, top: number, bottom: number, left: number, right: number, padWith: PadWith): TensorInfo {
  if (top + bottom + left + right === 0) return src;
  if (padWith === 'PadV2') return scope.run('PadV2', { x: src }, { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 });
  const backend = scope.backend as unknown as BackendWasm;
  const [batch, height, width, channels] = src.shape as [number, number, number, number];
  const [outHeight, outWidth] = [height + top + bottom, width + left + right];
  const out = scope.adopt(backend.makeOutput([batch, outHeight, outWidth, channels], 'float32'));
  const to = backend.typedArrayFromHeap(out) as Float32Array;
  const from = backend.typedArrayFromHeap(src) as Float32Array;
  const rowIn = width * channels;
  const rowOut = outWidth * channels;
  const imageOut = outHeight * rowOut;
  for (let b = 0; b < batch; b++) {
    const image = b * imageOut;
    to.fill(0, image, image + top * rowOut + left * channels);
    for (let h = 0; h < height; h++) {
      const at = image + (top + h) * rowOut + left * channels;
      to.set(from.subarray((b * height + h) * rowIn, (b * height + h + 1) * rowIn), at);
      // this row's right padding and the next row's left padding
      to.fill(0, at + rowIn, h + 1 < height ? at + rowOut : image + imageOut);
    }
  }
  return out;
}

/**
 * dW [FH, FW, Cin, Cout] by one GEMM per image and filter row, each adding into dW
 * (images in ascending order: the sums' order is fixed by the shapes). Per image, K
 * runs over the output rows only, (OH − 1)·Wp + OW positions: a single call over the
 * whole grid would also multiply the FH − 1 rows of padding between images, which
 * measured slower (conv2 of the CNN, 5×5 on 14×14: 1.65× the outputs' positions
 * instead of 1.27×). Undefined if the GEMM is off or cannot run on this heap.
 */
export function inPlaceFilterGradient(scope: KernelScope, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo, padWith: PadWith = 'rows'): TensorInfo | undefined {
  const backend = scope.backend as unknown as BackendWasm;
  const gemm = gemmOn(backend);
  const grid = gridOf(info);
  if (!gemm || !grid) return undefined;
  const { batchSize, inChannels, outChannels, outHeight, outWidth, filterHeight, filterWidth, padInfo } = info;
  const { gridHeight, gridWidth, bottom, right } = grid;
  const xp = padded(scope, x, padInfo.top, bottom, padInfo.left, right, padWith); // [B, Hp, Wp, Cin]
  const dyp = padded(scope, dy, 0, 0, 0, gridWidth - outWidth, padWith); // [B, OH, Wp, Cout]
  const out = scope.adopt(backend.makeOutput([filterHeight, filterWidth, inChannels, outChannels], 'float32')); // released only if a call throws
  // pointers after every allocation: offsets stay valid when the heap grows
  const xpPtr = backend.getMemoryOffset(xp.dataId);
  const dypPtr = backend.getMemoryOffset(dyp.dataId);
  const outPtr = backend.getMemoryOffset(out.dataId);
  // up to and including the image's last output position, (OH − 1, OW − 1): its window
  // for kh = FH − 1 ends at the image's last padded value
  const positions = (outHeight - 1) * gridWidth + outWidth;
  const rowsPerKh = filterWidth * inChannels;
  for (let b = 0; b < batchSize; b++) {
    for (let kh = 0; kh < filterHeight; kh++) {
      gemm.run({
        a: xpPtr + 4 * (b * gridHeight + kh) * gridWidth * inChannels,
        aRowStride: 1,
        aKStride: inChannels,
        b: dypPtr + 4 * b * outHeight * gridWidth * outChannels,
        bKStride: outChannels,
        bColStride: 1,
        c: outPtr + 4 * kh * rowsPerKh * outChannels,
        m: rowsPerKh,
        n: outChannels,
        k: positions,
        relu: false,
        accumulate: b > 0,
      });
    }
  }
  return out;
}
