/**
 * Each register tile of the GEMM alone (WasmGemm with one tile), on products whose M and N
 * every tile divides, so no edge is timed: the rates `relativeRate` in gemm-module.ts stand for
 * (columnPlan picks tiles by them). Calls are made on the backend's heap directly, in turns,
 * tile after tile per repetition; the median per tile and product, and each tile's rate
 * relative to the kind's first.
 *
 *   node bin/run-ts.mjs bench/gemm-tiles.ts [--reps 31] [--kind relaxed|plain]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { parseArgs } from 'node:util';
import { selectBackend } from '../main/engine/backend';
import { wasmHeapOf } from '../main/engine/kernels/gemm/backend-heap';
import { compiledGemm, tileOptionsOf, WasmGemm, type GemmKind } from '../main/engine/kernels/gemm/gemm-module';
import { median } from './stats';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '31' }, kind: { type: 'string', default: 'relaxed' } } });
const reps = Number(values.reps);
const kind = values.kind as GemmKind;
if (kind !== 'relaxed' && kind !== 'plain') throw new Error(`--kind ${values.kind}: expected relaxed or plain`);
if (!compiledGemm(kind)) throw new Error(`the ${kind} GEMM does not validate on this engine`);

await selectBackend('wasm');
const backend = tf.backend() as unknown as BackendWasm;
const heap = wasmHeapOf(backend);
if (!heap) throw new Error('no importable heap on this wasm backend');
const options = tileOptionsOf(kind);
const gemms = options.map((_, t) => new WasmGemm(kind, heap, undefined, t));

// M a multiple of 3 and 4, N of 12, 8 and 4: the MLP's K, no edge tiles
const shapes: [number, number, number][] = [
  [240, 784, 240],
  [240, 256, 120],
  [780, 256, 240],
];
const lines: string[] = [];
const ratios: number[][] = options.map(() => []);
for (const [m, k, n] of shapes) {
  const a = tf.randomUniform([m, k], -1, 1, 'float32', 1);
  const b = tf.randomUniform([k, n], -1, 1, 'float32', 2);
  const c = tf.zeros([m, n]);
  const at = (t: tf.Tensor) => backend.getMemoryOffset(t.dataId);
  const call = { a: at(a), aRowStride: k, aKStride: 1, b: at(b), bKStride: n, bColStride: 1, c: at(c), m, n, k, relu: false };
  const times: number[][] = options.map(() => []);
  for (let rep = 0; rep < reps + 3; rep++) {
    gemms.forEach((gemm, t) => {
      const start = performance.now();
      gemm.run(call);
      if (rep >= 3) times[t]!.push(performance.now() - start);
    });
  }
  const gflops = times.map((ts) => (2 * m * k * n) / median(ts) / 1e6);
  gflops.forEach((g, t) => ratios[t]!.push(g / gflops[0]!));
  lines.push(`| ${m}×${k}·${k}×${n} | ${gflops.map((g) => g.toFixed(1)).join(' | ')} |`);
  tf.dispose([a, b, c]);
}
gemms.forEach((gemm) => gemm.dispose());
const names = options.map((o) => `${o.shape.rows}×${o.shape.vectors * 4}`);
console.log(`${kind} GEMM, each tile alone, ${reps} calls per tile and product in turns; GFLOP/s of the median call\n`);
console.log(`| product | ${names.join(' | ')} |`);
console.log(`| --- | ${names.map(() => '---').join(' | ')} |`);
console.log(lines.join('\n'));
console.log(`| rate relative to ${names[0]} (median) | ${ratios.map((r) => median(r).toFixed(2)).join(' | ')} |`);
console.log(`| relativeRate in gemm-module.ts | ${options.map((o) => o.relativeRate.toFixed(2)).join(' | ')} |`);
