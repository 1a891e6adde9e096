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
 * grid row, but meet dyp's zeros. (A non-finite x value thereby also reaches, as NaN,
 * taps whose true windows never pair it with dy; the forward pass has already made the
 * loss non-finite then.)
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelScope } from './kernel-scope';
import type { Conv2DInfo } from './conv-geometry';
import { gemmOn } from './gemm/backend-heap';
import { paddedGrid, padNhwc } from './padded-grid';

/** Whether the in-place route can compute `info`'s filter gradient, grid aside (the caller checks NHWC). */
function takesShape(scope: KernelScope, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): boolean {
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
    info.batchSize > 0
  );
}

/**
 * dW [FH, FW, Cin, Cout] by one GEMM per image and filter row, each adding into dW
 * (images in ascending order: the sums' order is fixed by the shapes). Per image, K
 * runs over the output rows only, (OH − 1)·Wp + OW positions: a single call over the
 * whole grid would also multiply the FH − 1 rows of padding between images, which
 * measured slower (conv2 of the CNN, 5×5 on 14×14: 1.65× the outputs' positions
 * instead of 1.27×). Undefined where the route does not apply (backend, dtype, stride,
 * dilation, a grid that would crop x) or the GEMM is off or cannot run on this heap.
 */
export function inPlaceFilterGradient(scope: KernelScope, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): TensorInfo | undefined {
  if (!takesShape(scope, x, dy, info)) return undefined;
  const grid = paddedGrid(info);
  if (!grid) return undefined;
  const backend = scope.backend as unknown as BackendWasm;
  const gemm = gemmOn(backend);
  if (!gemm) return undefined;
  const { batchSize, inChannels, outChannels, outHeight, outWidth, filterHeight, filterWidth, padInfo } = info;
  const { gridHeight, gridWidth, bottom, right } = grid;
  const xp = padNhwc(scope, x, padInfo.top, bottom, padInfo.left, right); // [B, Hp, Wp, Cin]
  const dyp = padNhwc(scope, dy, 0, 0, 0, gridWidth - outWidth); // [B, OH, Wp, Cout]
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
    // the image's filter rows share its dy: packed once for all of them
    gemm.runSharingB(
      Array.from({ length: filterHeight }, (_, kh) => ({
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
      })),
    );
  }
  return out;
}
