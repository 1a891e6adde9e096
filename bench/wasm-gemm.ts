/**
 * Batchscope's own wasm GEMM against the XNNPACK path (BATCHSCOPE_WASM_GEMM=off: the
 * flattening kernels with the Transposes they need) on the products a training step
 * makes: the MLP 784-256-128-10's at B = 256, two conv-like long-k weight gradients,
 * and 1024³. Both kernels run in this one process, call by call in turns, each call
 * with a fresh `b` (a new tensor id, as W and dy are in training, so XNNPACK packs it
 * again); the copy that makes it is not timed.
 *
 *   node bin/run-ts.mjs bench/wasm-gemm.ts [--reps 21]
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { selectBackend } from '../main/engine/backend';
import { gemmMode, setGemmMode, type GemmMode } from '../main/engine/kernels/gemm/gemm-module';
import { median } from './stats';

interface Product {
  what: string;
  a: [number, number];
  b: [number, number];
  transposeA: boolean;
  transposeB: boolean;
  /** fused bias (per column) and activation, as the dense layer's forward runs it */
  fused?: 'relu' | 'linear';
}

const products: Product[] = [
  { what: 'forward 1: x·W1 + b, relu', a: [256, 784], b: [784, 256], transposeA: false, transposeB: false, fused: 'relu' },
  { what: 'forward 2', a: [256, 256], b: [256, 128], transposeA: false, transposeB: false, fused: 'relu' },
  { what: 'forward 3 (128→10)', a: [256, 128], b: [128, 10], transposeA: false, transposeB: false, fused: 'linear' },
  { what: 'dW1 = xᵀ·dz1', a: [256, 784], b: [256, 256], transposeA: true, transposeB: false },
  { what: 'dW2 = h1ᵀ·dz2', a: [256, 256], b: [256, 128], transposeA: true, transposeB: false },
  { what: 'dW3 = h2ᵀ·dz3', a: [256, 128], b: [256, 10], transposeA: true, transposeB: false },
  { what: 'dx2 = dz2·W2ᵀ', a: [256, 128], b: [256, 128], transposeA: false, transposeB: true },
  { what: 'dx3 = dz3·W3ᵀ', a: [256, 10], b: [128, 10], transposeA: false, transposeB: true },
  { what: 'conv-like dW: 50176×25ᵀ · 50176×16', a: [50176, 25], b: [50176, 16], transposeA: true, transposeB: false },
  { what: 'conv-like dW: 25088×400ᵀ · 25088×32', a: [25088, 400], b: [25088, 32], transposeA: true, transposeB: false },
  { what: '1024³', a: [1024, 1024], b: [1024, 1024], transposeA: false, transposeB: false },
];

const { values } = parseArgs({ options: { reps: { type: 'string', default: '21' }, warmup: { type: 'string', default: '3' } } });
const reps = Number(values.reps);
const warmup = Number(values.warmup);

await selectBackend('wasm');
const ours = gemmMode();
if (ours === 'off') throw new Error('the own GEMM is off in this process (BATCHSCOPE_WASM_GEMM=off?): nothing to compare');

function flopsOf(p: Product): number {
  const [m, k] = p.transposeA ? [p.a[1]!, p.a[0]!] : [p.a[0]!, p.a[1]!];
  const n = p.transposeB ? p.b[0]! : p.b[1]!;
  return 2 * m * n * k;
}

/** one call with a fresh copy of b; returns its ms and the product */
function timedCall(p: Product, a: tf.Tensor2D, b: tf.Tensor2D, bias: tf.Tensor1D, mode: GemmMode): { ms: number; out: tf.Tensor } {
  setGemmMode(mode);
  const fresh = b.clone() as tf.Tensor2D; // a new data id: XNNPACK cannot reuse its packed copy
  const start = performance.now();
  const out = p.fused
    ? tf.fused.matMul({ a, b: fresh, transposeA: p.transposeA, transposeB: p.transposeB, bias, activation: p.fused })
    : tf.matMul(a, fresh, p.transposeA, p.transposeB);
  const ms = performance.now() - start;
  fresh.dispose();
  return { ms, out };
}

const rows: string[] = [];
for (const p of products) {
  const a = tf.randomUniform(p.a, -1, 1, 'float32', 1) as tf.Tensor2D;
  const b = tf.randomUniform(p.b, -1, 1, 'float32', 2) as tf.Tensor2D;
  const bias = tf.randomUniform([p.transposeB ? p.b[0]! : p.b[1]!], -1, 1, 'float32', 3) as tf.Tensor1D;
  const times: Record<'ours' | 'xnnpack', number[]> = { ours: [], xnnpack: [] };
  let worstDiff = 0;
  for (let rep = 0; rep < warmup + reps; rep++) {
    // alternate which goes first, so neither always runs on caches the other warmed
    const order: ('ours' | 'xnnpack')[] = rep % 2 === 0 ? ['ours', 'xnnpack'] : ['xnnpack', 'ours'];
    const outs: Partial<Record<'ours' | 'xnnpack', tf.Tensor>> = {};
    for (const who of order) {
      const { ms, out } = timedCall(p, a, b, bias, who === 'ours' ? ours : 'off');
      if (rep >= warmup) times[who].push(ms);
      outs[who] = out;
    }
    if (rep === 0) {
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(outs.ours!, outs.xnnpack!))).dataSync()[0]!);
      const scale = tf.tidy(() => tf.max(tf.abs(outs.xnnpack!)).dataSync()[0]!);
      worstDiff = diff / Math.max(1, scale);
    }
    tf.dispose([outs.ours!, outs.xnnpack!]);
  }
  tf.dispose([a, b, bias]);
  const flops = flopsOf(p);
  const oursMs = median(times.ours);
  const xnnMs = median(times.xnnpack);
  const gflops = (ms: number) => (flops / ms / 1e6).toFixed(1);
  rows.push(
    `| ${p.what} | ${oursMs.toFixed(3)} (min ${Math.min(...times.ours).toFixed(3)}) | ${gflops(oursMs)} | ${xnnMs.toFixed(3)} (min ${Math.min(...times.xnnpack).toFixed(3)}) | ${gflops(xnnMs)} | ${(xnnMs / oursMs).toFixed(2)}× | ${worstDiff.toExponential(1)} |`,
  );
  console.error(rows.at(-1));
}

setGemmMode(ours);
console.log(`own GEMM: ${ours}; ${reps} calls each, in turns, fresh b per call; wall ms per call, median (min)\n`);
console.log('| product | own GEMM ms | GFLOP/s | XNNPACK path ms | GFLOP/s | speed-up | max diff / scale |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
console.log(rows.join('\n'));
