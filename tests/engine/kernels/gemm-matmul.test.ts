/**
 * Batchscope's own GEMM (relaxed-SIMD and plain kernels) against the cpu backend's
 * stock kernels: edges that are not multiples of the tile, K past the K block, every
 * transpose, batched a against a shared b, bias and relu in the store, NaN and Inf,
 * a heap that grows between and during products.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeOn, liveCounts, seededTensor, seededValues, transposeCombos, useBackend, type Computed } from './backends';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { columnPlan, gemmMode, gemmProductCount, setGemmMode, tileOptionsOf, WasmGemm, type GemmKind } from '../../../main/engine/kernels/gemm/gemm-module';
import { gemmOn, wasmHeapOf } from '../../../main/engine/kernels/gemm/backend-heap';


interface Case {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
  bias?: number[];
  relu?: boolean;
}

function operands(batchA: number[], m: number, k: number, n: number, transposeA: boolean, transposeB: boolean, batchB: number[] = []): Case {
  return {
    a: [...batchA, ...(transposeA ? [k, m] : [m, k])],
    b: [...batchB, ...(transposeB ? [n, k] : [k, n])],
    transposeA,
    transposeB,
  };
}

// m, k, n; none but the last a multiple of the 3×12 or 4×8 tile, K past the 256-row block
const sizes: [number, number, number][] = [
  [1, 1, 1],
  [2, 3, 5],
  [3, 12, 12],
  [5, 7, 11],
  [13, 17, 7],
  [17, 257, 13],
  [7, 513, 25],
  [255, 31, 257],
  [257, 300, 17],
  [24, 64, 48],
];

const plainCases: Case[] = [
  ...sizes.flatMap(([m, k, n]) => transposeCombos.map(([ta, tb]) => operands([], m, k, n, ta, tb))),
  // a's batch folded into rows (or one product per batch for aᵀ) against a shared b
  ...transposeCombos.map(([ta, tb]) => operands([3], 8, 12, 5, ta, tb)),
  ...transposeCombos.map(([ta, tb]) => operands([2, 3], 5, 7, 13, ta, tb, [1, 1])),
  ...transposeCombos.map(([ta, tb]) => operands([], 4, 5, 6, ta, tb, [1, 1])),
];

const fusedCases: Case[] = [
  ...transposeCombos.map(([ta, tb]) => ({ ...operands([], 37, 300, 29, ta, tb), bias: [29], relu: true })),
  ...transposeCombos.map(([ta, tb]) => ({ ...operands([], 5, 7, 13, ta, tb), bias: [1, 13], relu: false })),
  { ...operands([3], 8, 12, 5, false, false), bias: [5], relu: true },
  { ...operands([3], 8, 12, 5, true, true), relu: true },
  { ...operands([], 6, 1, 1, false, false), bias: [1], relu: true },
  // the MLP's first layer, B = 256
  { ...operands([1], 256, 784, 256, false, false, [1]), bias: [256], relu: true },
];

const label = (c: Case) => `[${c.a}]${c.transposeA ? 'ᵀ' : ''} x [${c.b}]${c.transposeB ? 'ᵀ' : ''}${c.bias ? ` + bias [${c.bias}]` : ''}${c.relu ? ' relu' : ''}`;

function product(c: Case): tf.Tensor {
  const a = seededTensor(c.a, 1);
  const b = seededTensor(c.b, 2);
  if (c.bias === undefined && c.relu === undefined) return tf.matMul(a, b, c.transposeA, c.transposeB);
  const bias = c.bias ? seededTensor(c.bias, 3) : undefined;
  // the fused kernel itself: tf.fused.matMul unfuses under a gradient tape only
  return tf.fused.matMul({ a, b, transposeA: c.transposeA, transposeB: c.transposeB, bias, activation: c.relu ? 'relu' : 'linear' });
}

/** Same shape; non-finite values identical; finite ones within 1e-5 · (1 + k/64) of max(1, max |expected|). */
function expectMatches(actual: Computed, expected: Computed, k: number): void {
  expect(actual.shape).toEqual(expected.shape);
  const tolerance = 1e-5 * (1 + k / 64);
  let scale = 1;
  for (const e of expected.values) if (Number.isFinite(e)) scale = Math.max(scale, Math.abs(e));
  let worst = 0;
  for (let i = 0; i < expected.values.length; i++) {
    const e = expected.values[i]!;
    const a = actual.values[i]!;
    if (!Number.isFinite(e)) {
      expect(Number.isNaN(e) ? Number.isNaN(a) : a === e, `element ${i}: ${a} where cpu has ${e}`).toBe(true);
    } else {
      worst = Math.max(worst, Number.isFinite(a) ? Math.abs(a - e) : Infinity);
    }
  }
  expect(worst).toBeLessThanOrEqual(tolerance * scale);
}

const innerSize = (c: Case) => c.a[c.a.length - (c.transposeA ? 2 : 1)]!;

async function expectGemmMatchesCpu(c: Case): Promise<void> {
  const expected = await computeOn('cpu', () => product(c));
  const actual = await computeOn('wasm', () => product(c));
  expectMatches(actual, expected, innerSize(c));
}

const kinds: GemmKind[] = ['relaxed', 'plain'];
let modeBefore: ReturnType<typeof gemmMode>;
beforeAll(() => {
  modeBefore = gemmMode();
});
afterAll(() => setGemmMode(modeBefore));

describe.each(kinds)('the %s GEMM', (kind) => {
  beforeAll(async () => {
    await useBackend('wasm');
    setGemmMode(kind);
  });

  it.each(plainCases.map((c) => [label(c), c] as const))('%s matches cpu', async (_, c) => {
    setGemmMode(kind);
    await expectGemmMatchesCpu(c);
  });

  it.each(fusedCases.map((c) => [label(c), c] as const))('fused %s matches cpu', async (_, c) => {
    setGemmMode(kind);
    await expectGemmMatchesCpu(c);
  });

  it('takes transposed products itself and leaves nothing behind', async () => {
    setGemmMode(kind);
    await useBackend('wasm');
    const a = seededTensor([64, 33], 1);
    const b = seededTensor([17, 64], 2);
    const before0 = gemmProductCount();
    tf.tidy(() => void tf.matMul(a, b, true, true));
    expect(gemmProductCount()).toBe(before0 + 1);
    tf.tidy(() => void tf.matMul(a, b, true, true));
    const before = liveCounts();
    for (let i = 0; i < 3; i++) tf.tidy(() => void tf.matMul(a, b, true, true));
    expect(liveCounts()).toEqual(before);
    tf.dispose([a, b]);
  });

  it('gives each element the same bits wherever it falls in a tile (the tile is chosen by N)', async () => {
    setGemmMode(kind);
    await useBackend('wasm');
    const [m, k] = [11, 300];
    const a = seededTensor([m, k], 1);
    const b = seededTensor([k, 32], 2);
    // N = 32 and 16 fit both wide tiles of the relaxed kernel exactly, 10 and 5 pad differently,
    // 28 is 24 + 4 wide in both kernels, 25 is 24 + 1, 20 is 12 + 8 in the relaxed kernel, 12 is
    // 8 + 4 in the plain one, 3 is one 4×4 tile (columnPlan); M = 11 and 1 move rows
    const fullTensor = tf.matMul(a, b);
    const full = await fullTensor.data();
    fullTensor.dispose();
    for (const n of [28, 25, 20, 16, 12, 10, 5, 3]) {
      const partTensor = tf.tidy(() => tf.matMul(a, tf.slice(b, [0, 0], [k, n])));
      const part = await partTensor.data();
      partTensor.dispose();
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) expect(Object.is(part[i * n + j], full[i * 32 + j])).toBe(true);
    }
    const rowTensor = tf.tidy(() => tf.matMul(tf.slice(a, [7, 0], [1, k]), b));
    const row = await rowTensor.data();
    expect(Array.from(row)).toEqual(Array.from(full.slice(7 * 32, 8 * 32)));
    tf.dispose([a, b, rowTensor]);
  });

  it('relu at exactly zero gives +0, as the cpu backend does', async () => {
    setGemmMode(kind);
    const compute = () =>
      tf.fused.matMul({ a: tf.zeros([5, 3]), b: seededTensor([3, 14], 2), bias: tf.tensor1d([-0, 0, -1, 1, 0, -0, 2, -2, 0, 0, 0, 0, -0, 3]), activation: 'relu' });
    const expected = await computeOn('cpu', compute);
    const actual = await computeOn('wasm', compute);
    expect(Array.from(actual.values).map((v) => Object.is(v, -0))).toEqual(Array.from(expected.values).map((v) => Object.is(v, -0)));
    expect(Array.from(actual.values)).toEqual(Array.from(expected.values));
  });

  it.each(transposeCombos.map(([ta, tb]) => [`${ta ? 'aᵀ' : 'a'}·${tb ? 'bᵀ' : 'b'}`, ta, tb] as const))('propagates NaN and Inf as cpu does (%s)', async (_, ta, tb) => {
    setGemmMode(kind);
    const [m, k, n] = [7, 9, 14];
    const aValues = seededValues(m * k, 5);
    const bValues = seededValues(k * n, 6);
    // logical A[i, q] and B[q, j], wherever the layout puts them
    const setA = (i: number, q: number, v: number) => (aValues[ta ? q * m + i : i * k + q] = v);
    const setB = (q: number, j: number, v: number) => (bValues[tb ? j * k + q : q * n + j] = v);
    setA(1, 3, NaN);
    setA(2, 4, Infinity);
    setA(4, 0, -Infinity);
    setB(5, 12, Infinity);
    setB(6, 2, 0);
    setA(5, 6, Infinity); // Inf · 0 in column 2
    const compute = () => tf.matMul(tf.tensor(aValues, ta ? [k, m] : [m, k]), tf.tensor(bValues, tb ? [n, k] : [k, n]), ta, tb);
    const expected = await computeOn('cpu', compute);
    const actual = await computeOn('wasm', compute);
    expect(expected.values.some((v) => Number.isNaN(v)) && expected.values.some((v) => !Number.isFinite(v) && !Number.isNaN(v))).toBe(true);
    expectMatches(actual, expected, k);
  });

  it('with accumulate adds the product to C, in every K block (the filter gradient splits its sum over calls)', async () => {
    setGemmMode(kind);
    const [m, k, n] = [13, 300, 17];
    const expected = await computeOn('cpu', () => tf.add(seededTensor([m, n], 3), tf.matMul(seededTensor([m, k], 1), seededTensor([k, n], 2))));
    await useBackend('wasm');
    const backend = tf.backend() as unknown as BackendWasm;
    const [a, b] = [seededTensor([m, k], 1), seededTensor([k, n], 2)];
    const c = tf.tensor(seededValues(m * n, 3), [m, n]);
    const at = (t: tf.Tensor) => backend.getMemoryOffset(t.dataId);
    gemmOn(backend)!.run({ a: at(a), aRowStride: k, aKStride: 1, b: at(b), bKStride: n, bColStride: 1, c: at(c), m, n, k, relu: false, accumulate: true });
    expectMatches({ values: c.dataSync() as Float32Array, shape: c.shape }, expected, k);
    tf.dispose([a, b, c]);
  });

  it('runs several products against one B, each as run alone gives it, and refuses a second B', async () => {
    setGemmMode(kind);
    await useBackend('wasm');
    const backend = tf.backend() as unknown as BackendWasm;
    const at = (t: tf.Tensor) => backend.getMemoryOffset(t.dataId);
    // K past the block and N past one column block: B is packed block by block, each block once for all
    const [m, k, n] = [7, 600, 400];
    const b = seededTensor([k, n], 2);
    const as = [1, 3, 5].map((seed) => seededTensor([m, k], seed));
    const call = (a: tf.Tensor, c: tf.Tensor) => ({ a: at(a), aRowStride: k, aKStride: 1, b: at(b), bKStride: n, bColStride: 1, c: at(c), m, n, k, relu: false });
    const shared = as.map(() => tf.zeros([m, n]));
    const alone = as.map(() => tf.zeros([m, n]));
    gemmOn(backend)!.runSharingB(as.map((a, i) => call(a, shared[i]!)));
    as.forEach((a, i) => gemmOn(backend)!.run(call(a, alone[i]!)));
    shared.forEach((c, i) => expect(Array.from(c.dataSync())).toEqual(Array.from(alone[i]!.dataSync())));
    const otherB = seededTensor([k, n], 9);
    expect(() => gemmOn(backend)!.runSharingB([call(as[0]!, shared[0]!), { ...call(as[1]!, shared[1]!), b: at(otherB) }])).toThrow(/runSharingB takes calls with one B/);
    tf.dispose([b, otherB, ...as, ...shared, ...alone]);
  });

  it.each([28, 29])('gives the same bits with every tile alone, bias and relu included, N = %i (a tile never changes a sum)', async (n) => {
    setGemmMode(kind);
    await useBackend('wasm');
    const backend = tf.backend() as unknown as BackendWasm;
    const heap = wasmHeapOf(backend)!;
    const at = (t: tf.Tensor) => backend.getMemoryOffset(t.dataId);
    // K past the block; N = 28 is planned as two spans (24 + 4), 29 leaves edges in every tile;
    // rows not a multiple of 3 or 4
    const [m, k] = [13, 300];
    expect(columnPlan(tileOptionsOf(kind), 28)).toHaveLength(2);
    const [a, b, bias] = [seededTensor([m, k], 1), seededTensor([k, n], 2), seededTensor([n], 3)];
    const call = (c: tf.Tensor) => ({ a: at(a), aRowStride: k, aKStride: 1, b: at(b), bKStride: n, bColStride: 1, c: at(c), m, n, k, bias: at(bias), relu: true });
    const planned = tf.zeros([m, n]);
    gemmOn(backend)!.run(call(planned));
    const tiles = tileOptionsOf(kind).length;
    expect(tiles).toBeGreaterThan(1);
    for (let t = 0; t < tiles; t++) {
      const gemm = new WasmGemm(kind, heap, undefined, t);
      const alone = tf.zeros([m, n]);
      gemm.run(call(alone));
      expect(Array.from(alone.dataSync())).toEqual(Array.from(planned.dataSync()));
      gemm.dispose();
      alone.dispose();
    }
    expect(() => new WasmGemm(kind, heap, undefined, tiles)).toThrow(`the ${kind} GEMM has no tile ${tiles}`);
    tf.dispose([a, b, bias, planned]);
  });

  it('keeps working when the heap grows between and during products', async () => {
    setGemmMode(kind);
    await useBackend('wasm');
    const c = operands([], 65, 300, 70, true, false);
    const expected = await computeOn('cpu', () => product(c));
    expectMatches(await computeOn('wasm', () => product(c)), expected, 300);
    const heapBytes = () => ((tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length);
    const before = heapBytes();
    // a tensor as large as the heap forces it to grow (and detaches the old buffer)
    const big = tf.zeros([Math.ceil(before / 4)]);
    expect(heapBytes()).toBeGreaterThan(before);
    expectMatches(await computeOn('wasm', () => product(c)), expected, 300);
    // an output larger than what is left makes the heap grow inside the kernel
    const grown = heapBytes();
    const wide = operands([], 1024, 2, Math.ceil(grown / 4 / 1024) + 1, false, false);
    const wideExpected = await computeOn('cpu', () => product(wide));
    expectMatches(await computeOn('wasm', () => product(wide)), wideExpected, 2);
    expect(heapBytes()).toBeGreaterThan(grown);
    big.dispose();
  });
});

describe('columnPlan: which tile computes which columns', () => {
  const plan = (kind: GemmKind, n: number) =>
    columnPlan(tileOptionsOf(kind), n).map(({ tile, start, end }) => `${tile.shape.rows}x${tile.shape.vectors * 4}:${start}-${end}`);

  it('leaves no wide tile to pad a few columns: N = 256 ends in one 4-wide tile, N = 128 in one 8-wide', () => {
    expect(plan('relaxed', 256)).toEqual(['3x12:0-252', '4x4:252-256']);
    expect(plan('relaxed', 128)).toEqual(['3x12:0-120', '4x8:120-128']);
    expect(plan('relaxed', 1024)).toEqual(['3x12:0-1020', '4x4:1020-1024']);
    expect(plan('relaxed', 25)).toEqual(['4x8:0-24', '4x4:24-25']);
    expect(plan('relaxed', 20)).toEqual(['3x12:0-12', '4x8:12-20']);
    expect(plan('relaxed', 28)).toEqual(['4x8:0-24', '4x4:24-28']);
    expect(plan('plain', 28)).toEqual(['4x8:0-24', '4x4:24-28']);
    expect(plan('plain', 12)).toEqual(['4x8:0-8', '4x4:8-12']);
  });

  it('keeps one tile where it fits or pads least: the conv gradients\' 16/32, the MLP\'s 10', () => {
    expect(plan('relaxed', 16)).toEqual(['4x8:0-16']);
    expect(plan('relaxed', 32)).toEqual(['4x8:0-32']);
    expect(plan('relaxed', 10)).toEqual(['3x12:0-10']);
    expect(plan('relaxed', 13)).toEqual(['4x8:0-13']);
    expect(plan('relaxed', 1020)).toEqual(['3x12:0-1020']);
    expect(plan('plain', 16)).toEqual(['4x8:0-16']);
    // four columns or fewer: the 4×4 tile alone
    expect(plan('relaxed', 4)).toEqual(['4x4:0-4']);
    expect(plan('plain', 3)).toEqual(['4x4:0-3']);
  });

  it('covers every column once, in order, for every N up to 400', () => {
    for (const kind of ['relaxed', 'plain'] as const) {
      for (let n = 1; n <= 400; n++) {
        const spans = columnPlan(tileOptionsOf(kind), n);
        expect(spans[0]!.start).toBe(0);
        expect(spans.at(-1)!.end).toBe(n);
        spans.forEach((span, i) => i > 0 && expect(span.start).toBe(spans[i - 1]!.end));
        spans.forEach((span) => expect(span.end).toBeGreaterThan(span.start));
      }
    }
  });
});
