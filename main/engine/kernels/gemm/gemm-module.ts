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
import { ACCUMULATE, ADD_BIAS, gemmModuleBytes, plainEdgeTile, plainTile, relaxedEdgeTile, relaxedNarrowTile, relaxedTile, RELU, type GemmShape } from './gemm-codegen';

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
 * docs/benchmarks.md); 0.96 alone on edge-free products (bench/gemm-tiles.ts). Earlier, when
 * every tile went through tmp, it was 0.98.
 */
const RELAXED_NARROW_RATE = 0.95;

/**
 * The 4×4 edge tile's rate relative to the kind's first tile, alone on products with no edges
 * (bench/gemm-tiles.ts, docs/benchmarks.md): relaxed 0.54 of 3×12, plain 0.72 of 4×8.
 */
const RELAXED_EDGE_RATE = 0.54;
const PLAIN_EDGE_RATE = 0.72;

const tileOptions: Record<GemmKind, TileOption[]> = {
  relaxed: [
    { shape: relaxedTile, relativeRate: 1 },
    { shape: relaxedNarrowTile, relativeRate: RELAXED_NARROW_RATE },
    { shape: relaxedEdgeTile, relativeRate: RELAXED_EDGE_RATE },
  ],
  plain: [
    { shape: plainTile, relativeRate: 1 },
    { shape: plainEdgeTile, relativeRate: PLAIN_EDGE_RATE },
  ],
};

/** columns [start, end) of C computed with one tile */
interface ColumnSpan<T> {
  tile: T;
  start: number;
  end: number;
}

/** time of `columns` columns with `tile`, in columns at the kind's first tile's rate (padding counted) */
function columnCost(tile: TileOption, columns: number): number {
  const nr = tile.shape.vectors * 4;
  return (Math.ceil(columns / nr) * nr) / tile.relativeRate;
}

/** The tile that wastes least on n's padding, by rate × n / padded n (a function of n alone). */
function tileFor<T extends TileOption>(tiles: readonly T[], n: number): T {
  let best = tiles[0]!;
  let bestRate = 0;
  for (const tile of tiles) {
    const nr = tile.shape.vectors * 4;
    const rate = (tile.relativeRate * n) / (Math.ceil(n / nr) * nr);
    if (rate > bestRate) [best, bestRate] = [tile, rate];
  }
  return best;
}

/**
 * Which tile computes which columns, a function of n alone: the tile that wastes least on n's
 * padding (tileFor; for n ≤ 4 that is the 4×4 tile itself) for as many whole tiles of columns as fit, then, for the columns left, the
 * tile that computes them fastest, padding counted (columnCost): N = 256 is 21 tiles 12 wide
 * and one 4 wide, not a 22nd 12-wide tile for 4 columns. Which tile computes a column never
 * changes the order of its sum (gemm-codegen.ts): the plan changes the speed only.
 *
 * (Choosing the main tile by the plan's total cost instead would split N = 32 into 24 + 8,
 * cheaper by the rates but no faster on the conv filter gradients, whose strided A each span
 * reads again.)
 */
export function columnPlan<T extends TileOption>(tiles: readonly T[], n: number): ColumnSpan<T>[] {
  const main = tileFor(tiles, n);
  const nr = main.shape.vectors * 4;
  const full = Math.floor(n / nr) * nr;
  const rest = n - full;
  let edge = main;
  for (const tile of tiles) if (columnCost(tile, rest) < columnCost(edge, rest)) edge = tile;
  if (rest === 0 || edge === main) return [{ tile: main, start: 0, end: n }];
  if (full === 0) return [{ tile: edge, start: 0, end: n }];
  return [
    { tile: main, start: 0, end: full },
    { tile: edge, start: full, end: n },
  ];
}

/** the tile options of a kind, for tests of the plan */
export function tileOptionsOf(kind: GemmKind): readonly TileOption[] {
  return tileOptions[kind];
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

  /** `onlyTile`: the index of the one tile of the kind this instance uses (bench/gemm-tiles.ts times them one by one) */
  constructor(
    kind: GemmKind,
    private readonly heap: WasmHeap,
    private readonly blocking: Blocking = defaultBlocking,
    onlyTile?: number,
  ) {
    const module = compiledGemm(kind);
    if (!module) throw new Error(`the ${kind} GEMM does not validate on this engine`);
    const exports = new wasmApi.Instance(module, { env: { memory: heap.memory } }).exports;
    const tiles = tileOptions[kind].map((option, t) => ({ ...option, packB: exports[`packB${t}`] as PackB, macro: exports[`macro${t}`] as Macro }));
    if (onlyTile !== undefined && !tiles[onlyTile]) throw new Error(`the ${kind} GEMM has no tile ${onlyTile} (it has ${tiles.length})`);
    this.tiles = onlyTile === undefined ? tiles : [tiles[onlyTile]!];
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
    const tmp = this.scratchAt();
    // equal K blocks (784 = 4 × 196, not 3 × 256 + 16): no short block to pay a whole pass over C for
    const blockRows = Math.max(1, Math.ceil(k / Math.max(1, Math.ceil(k / this.blocking.kc))));
    for (const span of columnPlan(this.tiles, n)) {
      const { shape, packB, macro } = span.tile;
      const nr = shape.vectors * 4;
      const packed = tmp + shape.rows * nr * 4;
      const blockCols = Math.ceil(this.blocking.nc / nr) * nr;
      for (let j0 = span.start; j0 < span.end; j0 += blockCols) {
        const nc = Math.min(blockCols, span.end - j0);
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
  }

  /** Gives the scratch back to the heap. */
  dispose(): void {
    if (this.scratch !== 0) this.heap.free(this.scratch);
    this.scratch = 0;
  }
}
