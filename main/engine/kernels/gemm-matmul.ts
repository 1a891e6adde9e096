/**
 * BatchMatMul and _FusedMatMul for wasm through Batchscope's own GEMM (gemm/): it
 * reads W, dy and x where they lie, in either layout, so the training step's
 * products neither repack `b` per call (XNNPACK caches packed weights by tensor id,
 * and in training every W and dy is new) nor materialize xᵀ and Wᵀ as Transposes
 * (docs/benchmarks.md, "Own wasm GEMM").
 *
 * It takes every product whose `b` has no batch (flat-matmul.ts's condition; `a`'s
 * batch folds into rows, or, for a transposed `a`, runs one product per batch), and
 * for _FusedMatMul a linear or relu activation with a bias of one value per output
 * column, applied in the GEMM's store. Everything else, and everything under
 * BATCHSCOPE_WASM_GEMM=off, goes to the XNNPACK-based kernels.
 */
import {
  _FusedMatMul,
  BatchMatMul,
  broadcast_util,
  util,
  type _FusedMatMulAttrs,
  type _FusedMatMulInputs,
  type BatchMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { FastKernel } from './fast-kernel';
import { requireInput } from './kernel-scope';
import { batchSize, canFlatten } from './flat-matmul';
import { wasmBatchMatMul } from './wasm-batch-matmul';
import { wasmFusedMatMul } from './wasm-fused-matmul';
import { gemmOn } from './gemm/backend-heap';
import { gemmMode } from './gemm/gemm-module';

interface Product {
  a: TensorInfo;
  b: TensorInfo;
  transposeA: boolean;
  transposeB: boolean;
  bias?: TensorInfo;
  relu: boolean;
}

function outColumns(b: TensorInfo, transposeB: boolean): number {
  return b.shape[b.shape.length - (transposeB ? 2 : 1)]!;
}

/** One value per output column, broadcasting without changing the output's rank. */
function isPerColumn(bias: TensorInfo, columns: number, outRank: number): boolean {
  const rank = bias.shape.length;
  return (
    bias.dtype === 'float32' &&
    rank <= outRank &&
    util.sizeFromShape(bias.shape) === columns &&
    (rank === 0 ? columns === 1 : bias.shape[rank - 1] === columns)
  );
}

/** Runs `p` on the GEMM into a fresh output, or returns undefined if the GEMM cannot take it here. */
function gemmProduct(backend: BackendWasm, p: Product): TensorInfo | undefined {
  const gemm = gemmOn(backend);
  if (!gemm) return undefined;
  const { a, b, transposeA, transposeB } = p;
  const [aRows, aCols] = a.shape.slice(-2) as [number, number];
  const [bRows, bCols] = b.shape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [aCols, aRows] : [aRows, aCols];
  const [kB, n] = transposeB ? [bCols, bRows] : [bRows, bCols];
  if (k !== kB) {
    throw new Error(`matMul: inner dimensions differ (${k} vs ${kB}) for shapes [${a.shape}] and [${b.shape}] with transposeA=${transposeA}, transposeB=${transposeB}`);
  }
  const batchDims = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = backend.makeOutput([...batchDims, m, n], 'float32');
  const batch = batchSize(a);
  const aPtr = backend.getMemoryOffset(a.dataId);
  const bPtr = backend.getMemoryOffset(b.dataId);
  const cPtr = backend.getMemoryOffset(out.dataId);
  const shared = {
    b: bPtr,
    bKStride: transposeB ? 1 : n,
    bColStride: transposeB ? k : 1,
    n,
    k,
    bias: p.bias ? backend.getMemoryOffset(p.bias.dataId) : undefined,
    relu: p.relu,
  };
  if (!transposeA) {
    // a's batch folds into its rows: one product of batch·m rows
    gemm.run({ ...shared, a: aPtr, aRowStride: k, aKStride: 1, c: cPtr, m: batch * m });
  } else {
    // one product per batch against the one b, packed once for all of them
    gemm.runSharingB(Array.from({ length: batch }, (_, i) => ({ ...shared, a: aPtr + 4 * i * m * k, aRowStride: 1, aKStride: m, c: cPtr + 4 * i * m * n, m })));
  }
  return out;
}

export const gemmBatchMatMul: FastKernel = {
  kernelName: BatchMatMul,
  backendNames: ['wasm'],
  build(stock: KernelConfig | undefined, backendName: string): KernelFunc {
    const fallback = wasmBatchMatMul.build(stock, backendName);
    gemmMode(); // a wrong BATCHSCOPE_WASM_GEMM fails here, at registration, not in the first product
    return (args) => {
      const a = requireInput(args.inputs, 'a', BatchMatMul);
      const b = requireInput(args.inputs, 'b', BatchMatMul);
      const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
      const product = canFlatten(a, b) ? gemmProduct(args.backend as BackendWasm, { a, b, transposeA, transposeB, relu: false }) : undefined;
      return product ?? fallback(args);
    };
  },
};

export const gemmFusedMatMul: FastKernel = {
  kernelName: _FusedMatMul,
  backendNames: ['wasm'],
  build(stock: KernelConfig | undefined, backendName: string): KernelFunc {
    const fallback = wasmFusedMatMul.build(stock, backendName);
    gemmMode();
    return (args) => {
      const a = requireInput(args.inputs, 'a', _FusedMatMul);
      const b = requireInput(args.inputs, 'b', _FusedMatMul);
      const { bias, preluActivationWeights } = args.inputs as Partial<_FusedMatMulInputs>;
      const { transposeA, transposeB, activation } = args.attrs as unknown as _FusedMatMulAttrs;
      const outRank = Math.max(a.shape.length, b.shape.length);
      const fits =
        canFlatten(a, b) &&
        (activation === 'linear' || activation === 'relu') &&
        preluActivationWeights == null &&
        (bias == null || isPerColumn(bias, outColumns(b, transposeB), outRank));
      const product = fits
        ? gemmProduct(args.backend as BackendWasm, { a, b, transposeA, transposeB, bias: bias ?? undefined, relu: activation === 'relu' })
        : undefined;
      return product ?? fallback(args);
    };
  },
};
