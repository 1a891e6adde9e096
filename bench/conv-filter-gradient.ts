/**
 * Conv2DBackpropFilter on wasm: the in-place GEMM route (gemm-conv-filter.ts) against
 * the composed routes it replaced (im2col + BatchMatMul for ≤ 32 input taps, else the
 * swapped Conv2D in XNNPACK), on the CNN's and a ResNet's stride-1 convs. Both run in
 * this one process, call by call in turns (each goes first in turn), on the same x and dy;
 * prints median and min ms per call, and the largest difference between the in-place and
 * composed results relative to the largest value. (The in-place route once padded x and dy
 * with tfjs's PadV2 as well as with rows copied in JS; the rows won, docs/benchmarks.md.)
 *
 *   node bin/run-ts.mjs bench/conv-filter-gradient.ts [--reps 15]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Conv2DBackpropFilterAttrs } from '@tensorflow/tfjs-core';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { selectBackend } from '../main/engine/backend';
import { composeKernel } from '../main/engine/kernels/kernel-scope';
import { conv2DBackpropFilterViaConv } from '../main/engine/kernels/conv2d-backprop-filter';
import { median } from './stats';

interface Case {
  what: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  pad: 'same' | 'valid';
}

const cases: Case[] = [
  { what: 'CNN conv1 5×5 1→16', x: [128, 28, 28, 1], filter: [5, 5, 1, 16], pad: 'same' },
  { what: 'CNN conv2 5×5 16→32', x: [128, 14, 14, 16], filter: [5, 5, 16, 32], pad: 'same' },
  { what: 'ResNet 3×3 16→16 on 32×32', x: [64, 32, 32, 16], filter: [3, 3, 16, 16], pad: 'same' },
  { what: 'ResNet 3×3 32→32 on 16×16', x: [64, 16, 16, 32], filter: [3, 3, 32, 32], pad: 'same' },
];

const { values } = parseArgs({ options: { reps: { type: 'string', default: '15' }, warmup: { type: 'string', default: '3' } } });
const reps = Number(values.reps);
const warmup = Number(values.warmup);

await selectBackend('wasm');
const backend = tf.backend();
type Route = 'in place' | 'composed';
const routes: Route[] = ['in place', 'composed'];

function timedCall(route: Route, x: tf.Tensor, dy: tf.Tensor, attrs: Conv2DBackpropFilterAttrs): { ms: number; values: Float32Array } {
  const start = performance.now();
  const info = composeKernel(backend, 'wasm', (scope) =>
    conv2DBackpropFilterViaConv(scope, x, dy, attrs, { inPlace: route === 'in place' }),
  );
  const dW = tf.engine().makeTensorFromTensorInfo(info);
  const values = dW.dataSync() as Float32Array; // wasm runs synchronously; this reads the heap
  const ms = performance.now() - start;
  dW.dispose();
  return { ms, values };
}

console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${warmup} warm-ups, ${reps} calls per route in turns; ms per call, median (min)`);
console.log('| case | in place ms | GFLOP/s | composed ms | GFLOP/s | speed-up (composed / in place) | max diff |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const c of cases) {
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, 1, 1, c.pad);
  const x = tf.randomUniform(c.x, -1, 1, 'float32', 1);
  const dy = tf.randomUniform(info.outShape, -1, 1, 'float32', 2);
  const attrs = { strides: 1, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter } as unknown as Conv2DBackpropFilterAttrs;
  const times: Record<Route, number[]> = { 'in place': [], composed: [] };
  let worst = 0;
  for (let rep = 0; rep < warmup + reps; rep++) {
    const order = routes.map((_, i) => routes[(i + rep) % routes.length]!); // each goes first in turn
    const results: Partial<Record<Route, Float32Array>> = {};
    for (const route of order) {
      const { ms, values } = timedCall(route, x, dy, attrs);
      if (rep >= warmup) times[route].push(ms);
      results[route] = values;
    }
    const b = results.composed!;
    let scale = 0;
    for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
    const a = results['in place']!;
    for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
  }
  const flops = 2 * info.outHeight * info.outWidth * info.batchSize * c.filter.reduce((p, d) => p * d, 1);
  const cell = (t: number[]): string => `${median(t).toFixed(2)} (${Math.min(...t).toFixed(2)}) | ${(flops / median(t) / 1e6).toFixed(1)}`;
  console.log(
    `| ${c.what}: x [${c.x}] ${c.pad} | ${cell(times['in place'])} | ${cell(times.composed)} | ${(median(times.composed) / median(times['in place'])).toFixed(2)}× | ${worst.toExponential(1)} |`,
  );
  tf.dispose([x, dy]);
}
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
