/**
 * The CNN's gradient pass (forward + backward, loss read back) with its layers as
 * fused ops (conv-block.ts, dense.ts: the model as built) against the same
 * variables run through separate ops (conv2d, add, relu, matMul: the kernels the
 * forward issued as of 42cac55, rewritten below for relu as the baseline), on wasm
 * with the fast kernels.
 * The two alternate round by round in one process so both see the same load;
 * prints the median and min ms per step, wall and CPU.
 *
 * With --profile, first a per-kernel profile of each (CPU time, kernel-profile.ts).
 *
 *   node bin/run-ts.mjs bench/conv-block-step.ts [--rounds 30] [--steps 3] [--profile]
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { selectBackend } from '../main/engine/backend';
import { buildCnn, type ConvBlock } from '../main/engine/models/cnn';
import { perSampleCrossEntropy } from '../main/engine/training/loss';
import { profileKernels } from './kernel-profile';
import { median } from './stats';
import { workloads } from './workloads';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '30' }, steps: { type: 'string', default: '3' }, profile: { type: 'boolean', default: false } } });
const rounds = Number(values.rounds);
const stepsPerRound = Number(values.steps);

const workload = workloads.cnn;
if (workload.model.kind !== 'cnn') throw new Error('the cnn workload is not a CNN');
const spec = workload.model;
const backend = await selectBackend('wasm');
const B = workload.batchSize;
const [height, width, channels] = workload.inputShape;
const model = buildCnn({ inputShape: workload.inputShape, numClasses: workload.numClasses, conv: spec.conv, dense: spec.dense, activation: spec.activation, seed: 1 });
const x = tf.randomUniform([B, ...workload.inputShape], 0, 1, 'float32', 3);
const oneHot = tf.tidy(() => tf.cast(tf.oneHot(tf.randomUniform([B], 0, workload.numClasses, 'int32', 2) as tf.Tensor1D, workload.numClasses), 'float32')) as tf.Tensor2D;
const vars = model.groups.flatMap((g) => g.params);

/** The CNN's forward before the fused ops (relu only, no frozen mode), over the model's own variables. */
function separateOpsForward(input: tf.Tensor): tf.Tensor2D {
  const convs = spec.conv.map((block: ConvBlock, i) => ({ kernel: vars[2 * i]!, b: vars[2 * i + 1]!, block }));
  const denses = vars.slice(2 * convs.length);
  let t = tf.reshape(input, [input.shape[0]!, height, width, channels]) as tf.Tensor4D;
  for (const { kernel, b, block } of convs) {
    t = tf.relu(tf.add(tf.conv2d(t, kernel as tf.Tensor4D, block.stride, block.padding), b)) as tf.Tensor4D;
    if (block.pool > 1) t = tf.maxPool(t, block.pool, block.pool, 'valid');
  }
  let d: tf.Tensor = tf.reshape(t, [t.shape[0], -1]);
  for (let i = 0; i + 1 < denses.length; i += 2) {
    d = tf.add(tf.matMul(d as tf.Tensor2D, denses[i] as tf.Tensor2D), denses[i + 1]!);
    if (i + 2 < denses.length) d = tf.relu(d);
  }
  return d as tf.Tensor2D;
}

const variants: [string, () => tf.Tensor2D][] = [
  ['separate ops (before)', () => separateOpsForward(x)],
  ['fused blocks (after)', () => model.apply(x, { training: true, updateStats: false })],
];

const gradientStep = (forward: () => tf.Tensor2D) => (): void => {
  const { value, grads } = tf.variableGrads(() => tf.mean(perSampleCrossEntropy(forward(), oneHot)), vars);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
};

// the two must compute the same thing before their times mean anything
const losses = variants.map(([, forward]) => tf.tidy(() => tf.mean(perSampleCrossEntropy(forward(), oneHot)).dataSync()[0]!));
console.log(`${workload.label}, B=${B}, ${backend.name}, loss ${losses.map((l) => l.toFixed(6)).join(' vs ')}`);
if (Math.abs(losses[0]! - losses[1]!) > 1e-5 * Math.abs(losses[0]!)) throw new Error('the variants disagree on the loss');

if (values.profile) {
  for (const [name, forward] of variants) {
    const p = await profileKernels(gradientStep(forward), 5, 'cpu');
    console.log(`\n${name}: ${p.wallMs.toFixed(1)} ms, ${p.kernelMs.toFixed(1)} ms in ${p.kernelCalls} kernel calls, ${p.outsideKernelsMs.toFixed(1)} ms outside kernels (CPU time)`);
    for (const k of p.kernels.filter((k) => k.totalMs >= 0.5)) console.log(`  ${k.totalMs.toFixed(2).padStart(8)} ms  ${String(k.calls).padStart(2)}×  ${k.kernel.padEnd(22)} ${k.shapes}`);
  }
  console.log();
}

const cpuMsNow = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const wallMs: number[][] = variants.map(() => []);
const cpuMs: number[][] = variants.map(() => []);
const load = [loadavg()[0]!];
for (let warm = 0; warm < 3; warm++) variants.forEach(([, forward]) => gradientStep(forward)());
for (let r = 0; r < rounds; r++) {
  // alternate which goes first, so neither always follows the other
  const order = r % 2 === 0 ? [0, 1] : [1, 0];
  for (const v of order) {
    const step = gradientStep(variants[v]![1]);
    const t0 = performance.now();
    const c0 = cpuMsNow();
    for (let s = 0; s < stepsPerRound; s++) step();
    cpuMs[v]!.push((cpuMsNow() - c0) / stepsPerRound);
    wallMs[v]!.push((performance.now() - t0) / stepsPerRound);
  }
}
load.push(loadavg()[0]!);

console.log(`${rounds} interleaved rounds of ${stepsPerRound} steps, load ${load.map((l) => l.toFixed(2)).join(' → ')}; ms per step`);
console.log(`${''.padEnd(24)} ${'wall median'.padStart(12)} ${'wall min'.padStart(9)} ${'cpu median'.padStart(11)} ${'cpu min'.padStart(8)}`);
variants.forEach(([name], v) => {
  const row = [median(wallMs[v]!), Math.min(...wallMs[v]!), median(cpuMs[v]!), Math.min(...cpuMs[v]!)];
  console.log(`${name.padEnd(24)} ${row[0]!.toFixed(1).padStart(12)} ${row[1]!.toFixed(1).padStart(9)} ${row[2]!.toFixed(1).padStart(11)} ${row[3]!.toFixed(1).padStart(8)}`);
});
const ratio = (values: number[][]): string => (median(values[0]!) / median(values[1]!)).toFixed(2);
// per-round ratios, paired: each round's two measurements saw nearly the same load
const paired = (values: number[][]): string => median(values[0]!.map((before, r) => before / values[1]![r]!)).toFixed(2);
console.log(`speed-up (before / after): wall ${ratio(wallMs)}× (median of paired rounds ${paired(wallMs)}×), cpu ${ratio(cpuMs)}× (paired ${paired(cpuMs)}×)`);
model.dispose();
