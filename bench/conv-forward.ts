/**
 * Conv2D and Conv2DBackpropInput on wasm with the in-place GEMM Conv2D (gemm-conv2d.ts)
 * registered and with the stock XNNPACK Conv2D in its place (the input gradient runs
 * its convolutions through whichever is registered), on the CNN's second conv and a
 * ResNet's stride-1 convs. Both settings run in this one process, call by call in turns
 * (which goes first alternates), on the same tensors; prints median and min ms per call.
 *
 *   node bin/run-ts.mjs bench/conv-forward.ts [--reps 15]
 */
import * as tf from '@tensorflow/tfjs-core';
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { selectBackend } from '../main/engine/backend';
import { median } from './stats';

interface Case {
  what: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
}

const cases: Case[] = [
  { what: 'CNN conv1 5×5 1→16 (stays on XNNPACK: K = 5)', x: [128, 28, 28, 1], filter: [5, 5, 1, 16] },
  { what: 'CNN conv2 5×5 16→32', x: [128, 14, 14, 16], filter: [5, 5, 16, 32] },
  { what: 'ResNet 3×3 16→16 on 32×32', x: [64, 32, 32, 16], filter: [3, 3, 16, 16] },
  { what: 'ResNet 3×3 32→32 on 16×16', x: [64, 16, 16, 32], filter: [3, 3, 32, 32] },
];

const { values } = parseArgs({ options: { reps: { type: 'string', default: '15' }, warmup: { type: 'string', default: '3' } } });
const reps = Number(values.reps);
const warmup = Number(values.warmup);

await selectBackend('wasm');
const ours = getKernel('Conv2D', 'wasm') as KernelConfig;
const stock = (ours as unknown as Record<symbol, { stock: KernelConfig }>)[Symbol.for('batchscope.fastKernel')]?.stock;
if (!stock) throw new Error('the GEMM Conv2D is not registered over a stock kernel here');
type Setting = 'GEMM' | 'XNNPACK';
function use(setting: Setting): void {
  unregisterKernel('Conv2D', 'wasm');
  registerKernel(setting === 'GEMM' ? ours : stock);
}

function timed(f: () => tf.Tensor): { ms: number; values: Float32Array } {
  const start = performance.now();
  const y = f();
  const values = y.dataSync() as Float32Array;
  const ms = performance.now() - start;
  y.dispose();
  return { ms, values };
}

console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${warmup} warm-ups, ${reps} calls per setting in turns; ms per call, median (min)`);
console.log('| case | kernel | GEMM Conv2D ms | GFLOP/s | XNNPACK Conv2D ms | GFLOP/s | speed-up | max diff |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const c of cases) {
  const x = tf.randomUniform(c.x, -1, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomUniform(c.filter, -1, 1, 'float32', 2) as tf.Tensor4D;
  const dy = tf.randomUniform([c.x[0], c.x[1], c.x[2], c.filter[3]], -1, 1, 'float32', 3) as tf.Tensor4D;
  const kernels: [string, () => tf.Tensor][] = [
    ['Conv2D', () => tf.conv2d(x, w, 1, 'same')],
    ['Conv2DBackpropInput', () => tf.conv2dTranspose(dy, w, c.x, 1, 'same')],
  ];
  for (const [name, f] of kernels) {
    const times: Record<Setting, number[]> = { GEMM: [], XNNPACK: [] };
    let worst = 0;
    for (let rep = 0; rep < warmup + reps; rep++) {
      const order: Setting[] = rep % 2 === 0 ? ['GEMM', 'XNNPACK'] : ['XNNPACK', 'GEMM'];
      const results: Partial<Record<Setting, Float32Array>> = {};
      for (const setting of order) {
        use(setting);
        const { ms, values } = timed(f);
        if (rep >= warmup) times[setting].push(ms);
        results[setting] = values;
      }
      const [a, b] = [results.GEMM!, results.XNNPACK!];
      let scale = 0;
      for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
      for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
    }
    use('GEMM');
    const flops = 2 * c.x[0] * c.x[1] * c.x[2] * c.filter.reduce((p, d) => p * d, 1);
    const cell = (t: number[]): string => `${median(t).toFixed(2)} (${Math.min(...t).toFixed(2)}) | ${(flops / median(t) / 1e6).toFixed(1)}`;
    console.log(`| ${c.what}: x [${c.x}] same | ${name} | ${cell(times.GEMM)} | ${cell(times.XNNPACK)} | ${(median(times.XNNPACK) / median(times.GEMM)).toFixed(2)}× | ${worst.toExponential(1)} |`);
  }
  tf.dispose([x, w, dy]);
}
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
