/**
 * Batchscope's fast wasm kernels against the stock ones, side by side in one run:
 * the transposed matmuls of an MLP's backward pass, the conv gradients, max-pool
 * gradient and reductions of the CNN and ResNet, and whole training steps with a
 * per-kernel breakdown. Stock and fast calls alternate round by round, so both see
 * the same machine load. Prints a table and writes bench/results/kernels.json.
 *
 *   node bin/run-ts.mjs bench/kernels.ts            full run (~6 min, 90 s of it two calls of the stock cpu filter gradient)
 *   node bin/run-ts.mjs bench/kernels.ts --quick    fewer repetitions, no cpu filter gradient at B=128
 */
// tfjs-core's Node bundle carries no gradient functions; the umbrella package registers them
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ModelSpec } from '../common/spec';
import { registerFastKernel, registerFastKernels, unregisterFastKernels } from '../main/engine/kernels/register';
import { buildModel } from '../main/engine/models/build-model';
import { perSampleCrossEntropy } from '../main/engine/training/loss';
import { byKernelName, profileKernels } from './kernel-profile';
import { median } from './stats';
import { workloads } from './workloads';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const quick = args.quick;
const rounds = quick ? 2 : 4;
const repsPerRound = quick ? 2 : 4;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** stock / fast wasm kernels; the cpu backend's stock kernels, and cpu with the fast kernels registered for it */
type Variant = 'stock' | 'fast' | 'cpu' | 'cpuFast';
interface Row {
  group: string;
  label: string;
  /** median ms per call, null where the variant cannot run */
  ms: Partial<Record<Variant, number | null>>;
  note?: string;
}
const rows: Row[] = [];

async function use(variant: Variant, stockExtras: string[] = []): Promise<void> {
  const backendName = variant === 'cpu' || variant === 'cpuFast' ? 'cpu' : 'wasm';
  await tf.setBackend(backendName);
  unregisterFastKernels(backendName);
  if (variant === 'fast' || variant === 'cpuFast') registerFastKernels(backendName);
  else stockExtras.forEach((name) => registerFastKernel(name, backendName));
}

/**
 * Median ms per call of `run` for each variant, alternating variants round by round.
 * `make` builds the inputs on the variant's backend; wasm kernels are synchronous,
 * so a call's wall time is its cost (outputs are disposed, not read back).
 */
async function compare<T>(variants: Variant[], make: () => T, run: (inputs: T) => void, options: { stockExtras?: string[]; reps?: Partial<Record<Variant, number>> } = {}) {
  const samples: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const variant of variants) {
      const reps = options.reps?.[variant] ?? repsPerRound;
      if (reps === 0 || (round > 0 && options.reps?.[variant] !== undefined)) continue;
      await use(variant, options.stockExtras);
      const inputs = make();
      if (round === 0 && reps > 1) tf.tidy(() => run(inputs)); // warm-up: JIT, heap growth
      for (let i = 0; i < reps; i++) {
        const t0 = performance.now();
        tf.tidy(() => run(inputs));
        (samples[variant] ??= []).push(performance.now() - t0);
      }
      tf.dispose(inputs as tf.TensorContainer);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([v, s]) => [v, median(s)])) as Partial<Record<Variant, number>>;
}

const randn = (shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32', 7);

async function matmuls(): Promise<void> {
  log('matmul: MLP 784-256-128-10 backward pass, B=256');
  const batch = 256;
  const widths = [784, 256, 128, 10];
  for (let l = 0; l + 1 < widths.length; l++) {
    const [fanIn, fanOut] = [widths[l]!, widths[l + 1]!];
    const cases = [
      { label: `dW${l + 1} = x^T dy  [${batch},${fanIn}]^T x [${batch},${fanOut}]`, a: [batch, fanIn], b: [batch, fanOut], ta: true, tb: false },
      { label: `dx${l + 1} = dy W^T  [${batch},${fanOut}] x [${fanIn},${fanOut}]^T`, a: [batch, fanOut], b: [fanIn, fanOut], ta: false, tb: true },
    ];
    for (const c of cases) {
      const ms = await compare(['stock', 'fast'], () => [randn(c.a), randn(c.b)], ([a, b]) => void tf.matMul(a!, b!, c.ta, c.tb));
      rows.push({ group: 'matmul (wasm)', label: c.label, ms, note: l === 0 && !c.ta ? 'not needed for the input layer' : undefined });
    }
  }
  const fused = await compare(['stock', 'fast'], () => [randn([784, 256]), randn([784, 256]), randn([256])], ([a, b, bias]) =>
    void tf.fused.matMul({ a: a!, b: b!, transposeA: true, bias, activation: 'relu' }),
  );
  rows.push({ group: 'matmul (wasm)', label: 'fused [784,256]^T x [784,256] + bias, relu', ms: fused });
}

const convShapes = [
  { label: 'CNN conv1 5x5·16 same, x [128,28,28,1]', x: [128, 28, 28, 1], filter: [5, 5, 1, 16], strides: 1 },
  { label: 'CNN conv2 5x5·32 same, x [128,14,14,16]', x: [128, 14, 14, 16], filter: [5, 5, 16, 32], strides: 1 },
  { label: 'ResNet 3x3·16 s1, x [128,32,32,16]', x: [128, 32, 32, 16], filter: [3, 3, 16, 16], strides: 1 },
  { label: 'ResNet 3x3·32 s2, x [128,32,32,16]', x: [128, 32, 32, 16], filter: [3, 3, 16, 32], strides: 2 },
  { label: 'ResNet 1x1·32 s2 shortcut, x [128,32,32,16]', x: [128, 32, 32, 16], filter: [1, 1, 16, 32], strides: 2 },
] as const;

async function convGradients(): Promise<void> {
  for (const c of convShapes) {
    const outShape = tf.backend_util.computeConv2DInfo([...c.x], [...c.filter], c.strides, 1, 'same').outShape;
    const attrs = { strides: c.strides, pad: 'same', dataFormat: 'NHWC' } as const;
    const isCnn = c.label.startsWith('CNN');
    log(`conv gradients: ${c.label}`);
    // the stock cpu kernel takes seconds to a minute per call at B=128: one call, CNN shapes only
    const cpuReps = quick || !isCnn ? 0 : 1;
    const dW = await compare(['cpu', 'cpuFast', 'fast'], () => [randn([...c.x]), randn(outShape)], ([x, dy]) =>
      void tf.engine().runKernel('Conv2DBackpropFilter', { x: x!, dy: dy! }, { ...attrs, filterShape: [...c.filter] }),
      { reps: { cpu: cpuReps, cpuFast: isCnn ? 1 : 0 } },
    );
    rows.push({ group: 'Conv2DBackpropFilter', label: c.label, ms: { stock: null, ...dW }, note: 'missing on stock wasm; cpu columns: 1 call each' });
    const dx = await compare(['stock', 'fast'], () => [randn(outShape), randn([...c.filter])], ([dy, w]) =>
      void tf.engine().runKernel('Conv2DBackpropInput', { dy: dy!, filter: w! }, { ...attrs, inputShape: [...c.x] }),
    );
    const fwd = await compare(['fast'], () => [randn([...c.x]), randn([...c.filter])], ([x, w]) => void tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, 'same'));
    rows.push({ group: 'Conv2DBackpropInput', label: c.label, ms: dx, note: `forward conv: ${fwd.fast?.toFixed(1)} ms` });
  }
}

async function poolingAndReductions(): Promise<void> {
  log('max-pool gradient and reductions');
  for (const shape of [[128, 28, 28, 16], [128, 14, 14, 32]]) {
    const ms = await compare(['stock', 'fast'], () => {
      const x = randn(shape);
      return [x, tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), randn([shape[0]!, shape[1]! / 2, shape[2]! / 2, shape[3]!])];
    }, ([x, y, dy]) => void tf.engine().runKernel('MaxPoolGrad', { dy: dy!, input: x!, output: y! }, { filterSize: 2, strides: 2, pad: 'valid' }));
    rows.push({ group: 'MaxPoolGrad', label: `2x2 stride 2, x [${shape}]`, ms });
  }
  for (const [op, axes] of [['sum', [0, 1, 2]], ['mean', [0, 1, 2]], ['mean', [1, 2]]] as const) {
    const ms = await compare(['stock', 'fast'], () => [randn([128, 32, 32, 16])], ([x]) => void (op === 'sum' ? tf.sum : tf.mean)(x!, [...axes]));
    rows.push({ group: 'Sum / Mean', label: `${op} over [${axes}] of [128,32,32,16]`, ms });
  }
}

const resnetSpec: ModelSpec = { kind: 'resnet', stages: [1, 1, 1], width: 16 };
const steps = [
  { label: `MLP 784-256-128-10, B=256`, spec: workloads.mlp.model, input: [28, 28, 1], batch: 256, stockExtras: [] as string[] },
  { label: 'CNN conv5·16-pool-conv5·32-pool-128-10, B=128', spec: workloads.cnn.model, input: [28, 28, 1], batch: 128, stockExtras: ['Conv2DBackpropFilter'] },
  { label: 'ResNet stages [1,1,1] width 16, 32x32x3, B=128', spec: resnetSpec, input: [32, 32, 3], batch: 128, stockExtras: ['Conv2DBackpropFilter'] },
];

/** One SGD step: forward, tf.variableGrads, update. */
function trainingStep(model: ReturnType<typeof buildModel>, x: tf.Tensor, labels: tf.Tensor2D): void {
  const vars = model.groups.flatMap((g) => g.params);
  tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.mean(perSampleCrossEntropy(model.apply(x, { training: true, updateStats: false }), labels)) as tf.Scalar, vars);
    for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name]!, 0.01)));
  });
}

const profiles: Record<string, ReturnType<typeof byKernelName>> = {};

async function trainingSteps(): Promise<void> {
  for (const s of steps) {
    log(`training step: ${s.label}`);
    const make = () => {
      const model = buildModel(s.spec, s.input, 10, 1);
      const x = randn([s.batch, ...s.input]);
      const labels = tf.oneHot(tf.randomUniform([s.batch], 0, 10, 'int32', 3) as tf.Tensor1D, 10) as tf.Tensor2D;
      return { model, x, labels, dispose: () => (model.dispose(), tf.dispose([x, labels])) };
    };
    const ms: Partial<Record<Variant, number>> = {};
    for (const variant of ['stock', 'fast'] as const) {
      const samples: number[] = [];
      for (let round = 0; round < rounds; round++) {
        await use(variant, s.stockExtras);
        const w = make();
        trainingStep(w.model, w.x, w.labels);
        for (let i = 0; i < repsPerRound; i++) {
          const t0 = performance.now();
          trainingStep(w.model, w.x, w.labels);
          samples.push(performance.now() - t0);
        }
        if (variant === 'fast' && round === rounds - 1) {
          profiles[s.label] = byKernelName(await profileKernels(() => trainingStep(w.model, w.x, w.labels), 2));
        }
        w.dispose();
      }
      ms[variant] = median(samples);
    }
    const note = s.stockExtras.length ? `stock: + fast ${s.stockExtras.join(', ')} (missing on wasm)` : undefined;
    rows.push({ group: 'training step (wasm)', label: s.label, ms, note });
  }
}

const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100);
await matmuls();
await convGradients();
await poolingAndReductions();
await trainingSteps();

const fmt = (v: number | null | undefined): string => (v === null ? 'missing' : v === undefined ? '—' : v.toFixed(1));
/** fast wasm against stock wasm, or against the stock cpu kernel where wasm has none */
function speedup(r: Row): string {
  const base = r.ms.stock ?? r.ms.cpu;
  return base != null && r.ms.fast ? `${(base / r.ms.fast).toFixed(1)}x` : '—';
}
const header = ['group', 'case', 'stock wasm ms', 'fast wasm ms', 'speedup', 'stock cpu ms', 'fast cpu ms', 'note'];
const table = [header, ...rows.map((r) => [r.group, r.label, fmt(r.ms.stock), fmt(r.ms.fast), speedup(r), fmt(r.ms.cpu), fmt(r.ms.cpuFast), r.note ?? ''])];
const widths = header.map((_, c) => Math.max(...table.map((line) => line[c]!.length)));
process.stdout.write(`${table.map((line) => line.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n')}\n`);
for (const [label, kernels] of Object.entries(profiles)) {
  process.stdout.write(`\nfast step, ${label}: ${kernels.slice(0, 8).map((k) => `${k.kernel} ${k.totalMs.toFixed(1)}`).join(', ')} (ms per step)\n`);
}
const loadAtEnd = loadavg().map((l) => Math.round(l * 100) / 100);
process.stdout.write(`\nload average ${loadAtStart.join(' / ')} at start, ${loadAtEnd.join(' / ')} at end\n`);

const outDir = join(import.meta.dirname, 'results');
mkdirSync(outDir, { recursive: true });
const outFile = join(outDir, 'kernels.json');
writeFileSync(outFile, `${JSON.stringify({ date: new Date().toISOString(), quick, rounds, repsPerRound, loadAtStart, loadAtEnd, rows, profiles }, null, 2)}\n`);
log(`wrote ${outFile}`);
