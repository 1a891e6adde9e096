/**
 * The GEMM module compiled once per thread (a worker_threads replica has its own
 * engine and its own copy) and instantiated once per wasm heap, plus the blocking
 * loop that drives it (see gemm-codegen.ts for the layout).
 *
 * Which kernel runs is fixed per process, so every thread of a run sums the same way:
 * BATCHSCOPE_WASM_GEMM=auto (relaxed SIMD when the engine validates it, else plain
 * SIMD128), relaxed, plain, or off (the XNNPACK path); BATCHSCOPE_RELAXED_SIMD=0 means
 * plain. Both are read once.
 */
import * as v8 from 'node:v8';
import { wasmApi, type WasmMemory, type WasmModule } from './wasm-api';
import { ACCUMULATE, ADD_BIAS, gemmModuleBytes, plainTile, relaxedNarrowTile, relaxedTile, RELU, type GemmShape } from './gemm-codegen';

export type GemmKind = 'relaxed' | 'plain';
export type GemmMode = GemmKind | 'off';

/** one product C[m, n] = A[m, k] · B[k, n] on the heap; pointers in bytes, strides in elements */
export interface GemmCall {
  a: number;
  aRowStride: number;
  aKStride: number;
  b: number;
  bKStride: number;
  bColStride: number;
  /** row-major, n columns */
  c: number;
  m: number;
  n: number;
  k: number;
  /** n values added to every row of C, if given */
  bias?: number;
  relu: boolean;
  /** C += A·B instead of C = A·B (calls that split one sum; bias and relu then apply to the total so far) */
  accumulate?: boolean;
}

/** what the GEMM needs of a heap: the Memory itself and its allocator */
export interface WasmHeap {
  memory: WasmMemory;
  malloc(bytes: number): number;
  free(ptr: number): void;
}

type PackB = (src: number, kStride: number, jStride: number, kc: number, nc: number, dst: number) => void;
type Macro = (a: number, aRow: number, aK: number, mc: number, bp: number, kc: number, nc: number, c: number, ldc: number, flags: number, bias: number, tmp: number) => void;

/** a tile shape and its rate relative to the kind's first (measured on the GEMM alone, outside tfjs) */
interface TileOption {
  shape: GemmShape;
  relativeRate: number;
}

interface Tile extends TileOption {
  packB: PackB;
  macro: Macro;
}

/** How the product is cut into blocks (the sums' order depends on kc, so it is fixed per process). */
export interface Blocking {
  /** most k rows of B per packed block (a 3-row tile of A then spans 3 KB of L1); K is cut into equal blocks */
  kc: number;
  /** most columns of B per packed block: kc · nc · 4 bytes = 384 KB stays in L2 */
  nc: number;
}

export const defaultBlocking: Blocking = { kc: 256, nc: 384 };

/**
 * relaxed 4×8's rate relative to 3×12's before padding. With the tile stored straight from
 * the registers it is 0.91–0.96 on the MLP's products (3×12 does 9 multiply-adds per 6
 * loads, 4×8 8) and 1.02 at 1024³; median 0.95 (bench/wasm-gemm.ts with each tile forced,
 * docs/benchmarks.md). Earlier, when every tile went through tmp, it was 0.98.
 */
const RELAXED_NARROW_RATE = 0.95;

const tileOptions: Record<GemmKind, TileOption[]> = {
  relaxed: [
    { shape: relaxedTile, relativeRate: 1 },
    { shape: relaxedNarrowTile, relativeRate: RELAXED_NARROW_RATE },
  ],
  plain: [{ shape: plainTile, relativeRate: 1 }],
};

/** The tile that wastes least on n's padding, by rate × n / padded n (a function of n alone). */
function tileFor(tiles: readonly Tile[], n: number): Tile {
  let best = tiles[0]!;
  let bestRate = 0;
  for (const tile of tiles) {
    const nr = tile.shape.vectors * 4;
    const rate = (tile.relativeRate * n) / (Math.ceil(n / nr) * nr);
    if (rate > bestRate) [best, bestRate] = [tile, rate];
  }
  return best;
}

function parseMode(env: NodeJS.ProcessEnv): GemmMode | 'auto' {
  const asked = (env.BATCHSCOPE_WASM_GEMM || 'auto').toLowerCase(); // empty counts as unset
  if (asked !== 'auto' && asked !== 'relaxed' && asked !== 'plain' && asked !== 'off') {
    throw new Error(`BATCHSCOPE_WASM_GEMM='${env.BATCHSCOPE_WASM_GEMM}': expected auto, relaxed, plain or off`);
  }
  if (env.BATCHSCOPE_RELAXED_SIMD === '0' && asked !== 'off') return 'plain';
  return asked;
}

const modules = new Map<GemmKind, WasmModule | null>();

/** The compiled module for `kind`, or null where the engine rejects it (relaxed SIMD off). */
export function compiledGemm(kind: GemmKind): WasmModule | null {
  const known = modules.get(kind);
  if (known !== undefined) return known;
  const bytes = gemmModuleBytes(tileOptions[kind].map((option) => option.shape));
  let valid = wasmApi.validate(bytes);
  if (!valid && kind === 'relaxed') {
    // on by default from V8 11.4 (Electron 45, Node 22); Node 20 needs the flag, which V8 reads at compile time
    try {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
      valid = wasmApi.validate(bytes);
    } catch {
      // no node:v8 to set it with: the default is all there is
    }
  }
  const module = valid ? new wasmApi.Module(bytes) : null;
  modules.set(kind, module);
  return module;
}

let mode: GemmMode | undefined;

/** The kernel this process uses (resolved on first call and kept). */
export function gemmMode(): GemmMode {
  if (mode === undefined) {
    const asked = parseMode(process.env);
    if (asked === 'off') mode = 'off';
    else if (asked === 'auto') mode = compiledGemm('relaxed') ? 'relaxed' : compiledGemm('plain') ? 'plain' : 'off';
    else if (compiledGemm(asked)) mode = asked;
    else {
      throw new Error(
        `BATCHSCOPE_WASM_GEMM=${asked}: this engine (${process.versions.v8 ? `V8 ${process.versions.v8}` : 'unknown'}) rejects the ${asked} GEMM module; use ${asked === 'relaxed' ? 'auto, plain' : 'auto'} or off`,
      );
    }
  }
  return mode;
}

/** For benchmarks and tests that compare kernels in one process; training never calls it. */
export function setGemmMode(next: GemmMode): void {
  if (next !== 'off' && !compiledGemm(next)) throw new Error(`the ${next} GEMM does not validate on this engine`);
  mode = next;
}

let productsRun = 0;

/** Products run through the GEMM in this thread so far (tests and benchmarks check which kernel ran). */
export function gemmProductCount(): number {
  return productsRun;
}

/** One instance on one heap, with its packing scratch allocated from that heap. */
export class WasmGemm {
  private readonly tiles: Tile[];
  private scratch = 0;

  constructor(
    kind: GemmKind,
    private readonly heap: WasmHeap,
    private readonly blocking: Blocking = defaultBlocking,
  ) {
    const module = compiledGemm(kind);
    if (!module) throw new Error(`the ${kind} GEMM does not validate on this engine`);
    const exports = new wasmApi.Instance(module, { env: { memory: heap.memory } }).exports;
    this.tiles = tileOptions[kind].map((option, t) => ({ ...option, packB: exports[`packB${t}`] as PackB, macro: exports[`macro${t}`] as Macro }));
  }

  /** 16-byte aligned: the tile buffer, then one packed kc × nc block of B, for the largest tile */
  private scratchAt(): number {
    if (this.scratch === 0) {
      const floats = this.tiles.map(({ shape }) => {
        const nr = shape.vectors * 4;
        return shape.rows * nr + this.blocking.kc * Math.ceil(this.blocking.nc / nr) * nr;
      });
      const bytes = 16 + Math.max(...floats) * 4;
      const ptr = this.heap.malloc(bytes);
      if (ptr === 0) throw new Error(`wasm GEMM: could not allocate ${bytes} bytes of scratch on the backend's heap`);
      this.scratch = ptr;
    }
    return (this.scratch + 15) & ~15;
  }

  run(call: GemmCall): void {
    this.runSharingB([call]);
  }

  /**
   * Calls that multiply the same B (same b, strides, n and k; bias and relu alike), each into
   * its own C: every block of B is packed once for all of them. Each C gets the sums `run`
   * would give it, in the same order.
   */
  runSharingB(calls: readonly GemmCall[]): void {
    const first = calls[0];
    if (!first) return;
    const { n, k } = first;
    for (const call of calls) {
      const same = call.b === first.b && call.bKStride === first.bKStride && call.bColStride === first.bColStride && call.n === n && call.k === k && call.bias === first.bias && call.relu === first.relu;
      if (!same) throw new Error('wasm GEMM: runSharingB takes calls with one B (pointer, strides, n, k), bias and relu');
    }
    productsRun += calls.length;
    if (n === 0 || calls.every((call) => call.m === 0)) return;
    const { shape, packB, macro } = tileFor(this.tiles, n);
    const nr = shape.vectors * 4;
    const tmp = this.scratchAt();
    const packed = tmp + shape.rows * nr * 4;
    const blockCols = Math.ceil(this.blocking.nc / nr) * nr;
    // equal K blocks (784 = 4 × 196, not 3 × 256 + 16): no short block to pay a whole pass over C for
    const blockRows = Math.max(1, Math.ceil(k / Math.max(1, Math.ceil(k / this.blocking.kc))));
    for (let j0 = 0; j0 < n; j0 += blockCols) {
      const nc = Math.min(blockCols, n - j0);
      // K = 0 still runs one empty block, so C is written (as 0 + bias)
      for (let k0 = 0; k0 === 0 || k0 < k; k0 += blockRows) {
        const kc = Math.min(blockRows, k - k0);
        const last = k0 + kc >= k;
        packB(first.b + 4 * (k0 * first.bKStride + j0 * first.bColStride), 4 * first.bKStride, 4 * first.bColStride, kc, nc, packed);
        for (const call of calls) {
          if (call.m === 0) continue;
          const flags = (k0 > 0 || call.accumulate ? ACCUMULATE : 0) | (last && call.bias !== undefined ? ADD_BIAS : 0) | (last && call.relu ? RELU : 0);
          macro(call.a + 4 * k0 * call.aKStride, 4 * call.aRowStride, 4 * call.aKStride, call.m, packed, kc, nc, call.c + 4 * j0, 4 * n, flags, (call.bias ?? 0) + 4 * j0, tmp);
        }
      }
    }
  }

  /** Gives the scratch back to the heap. */
  dispose(): void {
    if (this.scratch !== 0) this.heap.free(this.scratch);
    this.scratch = 0;
  }
}
