/**
 * Where a whole-run step goes beyond the bare training step: the pieces
 * train-run.ts's trainStep does around batchGradients + optimizer.apply with the
 * spec's default diagnostics, each timed alone on the MLP at B=256 on real MNIST
 * (wasm, fast kernels registered). Curvature is shown per firing and spread over
 * its cadence.
 *
 *   node bin/run-ts.mjs bench/run-breakdown.ts [--reps 7]
 */
import * as tf from '@tensorflow/tfjs-core';
import { diagnosticsSpecSchema } from '../common/spec';
import { selectBackend } from '../main/engine/backend';
import { loadDataset } from '../main/engine/data/load-dataset';
import { layerStatsInPlace, layerStatsTensor, snapshotWeights } from '../main/engine/diagnostics/layer-stats';
import type { LayerGroup } from '../main/engine/models/layer-group';
import { buildModel } from '../main/engine/models/build-model';
import { createOptimizer } from '../main/engine/optimizers/create-optimizer';
import { batchGradients, batchLoss } from '../main/engine/training/batch-gradients';
import { BatchSource, disposeBatch } from '../main/engine/training/batch-source';
import { createStepCurvature } from '../main/engine/training/step-curvature';
import { profileKernels } from './kernel-profile';
import { timePerCall, timePerCallAsync } from './stats';
import { parseStepArgs } from './step-result';
import { workloads } from './workloads';

/** layerStats' device path (a GPU backend's) with its one read-back done synchronously, so timePerCall can time it */
function readStatsSync(groups: LayerGroup[], grads: tf.Tensor[][], before: tf.Tensor[][]): void {
  const table = layerStatsTensor(groups, grads, before);
  table.dataSync();
  table.dispose();
}

const args = parseStepArgs(process.argv.slice(2));
await selectBackend('wasm');
const workload = workloads.mlp;
const B = workload.batchSize;
const data = await loadDataset({ kind: 'mnist' }, 1);
const model = buildModel(workload.model, data.inputShape, data.numClasses, 1);
const optimizer = createOptimizer({ name: 'sgd', weightDecay: 0 }, model.groups);
const diag = diagnosticsSpecSchema.parse({});
const source = new BatchSource(data.train, data.inputShape, data.numClasses, 2);
source.startEpoch();
// the batch the other parts reuse, from a source of its own: a source reuses its buffers batch after batch
const fixed = new BatchSource(data.train, data.inputShape, data.numClasses, 3);
fixed.startEpoch();
const batch = fixed.next(B);
const options = { warmup: args.warmup, warmupMs: args.warmupMs, reps: args.reps, callsPerRep: args.callsPerRep };
const grads = (await batchGradients(model, batch, undefined, null)).grads;

const parts: [string, () => void | Promise<void>][] = [
  [
    'batch gather + upload (BatchSource.next, tensors read)',
    () => {
      const b = source.next(B);
      void b.x;
      void b.oneHot;
      disposeBatch(b);
    },
  ],
  [
    'training step (batchGradients + optimizer.apply)',
    async () => {
      const g = await batchGradients(model, batch, undefined, null);
      optimizer.apply({ groups: model.groups, grads: g.grads, lr: 0, step: 0 });
      tf.dispose(g.grads);
    },
  ],
  [
    'layer statistics (snapshotWeights + layerStats, in place in the wasm heap), every step',
    () => {
      const before = snapshotWeights(model.groups);
      layerStatsInPlace(model.groups, grads, before);
      tf.dispose(before);
    },
  ],
  ['ΔL forward pass (batchLoss), every step', async () => void (await batchLoss(model, batch, undefined))],
];
console.log(`MLP 784-256-128-10, B=${B}, MNIST, wasm; median ms per call over ${options.reps} repetitions`);
let perStepMs = 0;
for (const [name, fn] of parts) {
  const { wall } = await timePerCallAsync(async () => fn(), options);
  perStepMs += wall.median;
  console.log(`  ${wall.median.toFixed(2).padStart(7)} ms  ${name}`);
}
const curvature = (
  await timePerCallAsync(
    async () => {
      const c = createStepCurvature(model, batch, diag, 1);
      try {
        await c.oracle.layerCurvature(diag.curvatureEstimator);
      } finally {
        c.dispose();
      }
    },
    { warmup: 1, reps: Math.max(3, Math.ceil(args.reps / 2)), callsPerRep: 1 },
  )
).wall.median;
console.log(`  ${curvature.toFixed(2).padStart(7)} ms  curvature (${diag.curvatureEstimator}, ${diag.curvatureBatch} samples) per firing`);
console.log(`  ${(curvature / diag.curvatureEvery).toFixed(2).padStart(7)} ms  … spread over curvatureEvery = ${diag.curvatureEvery}`);
perStepMs += curvature / diag.curvatureEvery;
console.log(`  ${perStepMs.toFixed(2).padStart(7)} ms  per step in all → ${Math.round(B / (perStepMs / 1000))} samples/s`);

const onDevice = () => {
  const before = snapshotWeights(model.groups);
  readStatsSync(model.groups, grads, before);
  tf.dispose(before);
};
const deviceMs = timePerCall(onDevice, options).wall.median;
const stats = await profileKernels(onDevice);
console.log(
  `\nlayer statistics on the device path (a GPU backend's, not taken on wasm): ${deviceMs.toFixed(2)} ms per step; ${stats.kernelCalls} kernel calls, ${stats.kernelMs.toFixed(2)} ms in kernels, ${stats.outsideKernelsMs.toFixed(2)} ms outside (profiled)`,
);
