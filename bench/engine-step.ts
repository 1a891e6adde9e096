/**
 * Child: one Batchscope training step, timed. Uses the engine as a run does —
 * selectBackend('wasm') (which registers the fast kernels), buildModel,
 * batchGradients and the plain-SGD optimizer from createOptimizer — on a fixed
 * random batch of MNIST's shape, so every implementation sees the same data.
 *
 *   node bin/run-ts.mjs bench/engine-step.ts --workload mlp|cnn [--reps 7 --warmup 5 --calls 10 --profile]
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../main/engine/backend';
import { buildModel } from '../main/engine/models/build-model';
import { createOptimizer } from '../main/engine/optimizers/create-optimizer';
import { batchGradients } from '../main/engine/training/batch-gradients';
import { makeBatch, type Batch } from '../main/engine/training/batch-source';
import { perSampleCrossEntropy } from '../main/engine/training/loss';
import { emitResult } from './child-process';
import { profileKernels } from './kernel-profile';
import { timePerCall, timePerCallAsync } from './stats';
import { parseStepArgs, type StepResult } from './step-result';
import { BENCH_LR, workloadNamed } from './workloads';

const args = parseStepArgs(process.argv.slice(2));
const workload = workloadNamed(args.workload);

// the stock kernels, before Batchscope registers its own over them
await import('@tensorflow/tfjs-backend-wasm');
const stockKernels = new Map(tf.getKernelsForBackend('wasm').map((k) => [k.kernelName, k.kernelFunc]));
const backend = await selectBackend('wasm');
const replacedKernels = tf
  .getKernelsForBackend('wasm')
  .filter((k) => stockKernels.get(k.kernelName) !== k.kernelFunc)
  .map((k) => k.kernelName)
  .sort();

const B = workload.batchSize;
const model = buildModel(workload.model, workload.inputShape, workload.numClasses, 1);
const optimizer = createOptimizer({ name: 'sgd', weightDecay: 0 }, model.groups);
const batch: Batch = makeBatch(
  tf.randomUniform([B, ...workload.inputShape], 0, 1, 'float32', 3).dataSync() as Float32Array,
  tf.randomUniform([B], 0, workload.numClasses, 'int32', 2).dataSync() as Int32Array,
  workload.inputShape,
  workload.numClasses,
);

let step = 0;
const trainStep = async (): Promise<void> => {
  const gradients = await batchGradients(model, batch, undefined, null);
  try {
    optimizer.apply({ groups: model.groups, grads: gradients.grads, lr: BENCH_LR, step: step++ });
  } finally {
    gradients.grads.forEach((g) => g.forEach((t) => t.dispose()));
  }
};
const forward = (): void => {
  const loss = tf.tidy(() => tf.mean(perSampleCrossEntropy(model.apply(batch.x, { training: true, updateStats: false }), batch.oneHot)));
  loss.dataSync();
  loss.dispose();
};

const options = { warmup: args.warmup, reps: args.reps, callsPerRep: args.callsPerRep };
const tensorsBefore = tf.memory().numTensors;
const stepTimes = await timePerCallAsync(trainStep, options);
const forwardTimes = timePerCall(forward, options);
if (tf.memory().numTensors !== tensorsBefore) throw new Error(`tensor leak: ${tf.memory().numTensors - tensorsBefore} tensors after the timed steps`);

const result: StepResult = {
  implementation: 'batchscope',
  workload: workload.name,
  batchSize: B,
  stepMs: stepTimes.wall,
  forwardMs: forwardTimes.wall,
  stepCpuMs: stepTimes.cpu,
  samplesPerSec: B / (stepTimes.wall.median / 1000),
  runtime: `tfjs ${tf.version_core} ${backend.name} (${backend.package} ${backend.version}), Batchscope engine`,
  replacedKernels,
  ...(args.profile ? { profile: await profileKernels(trainStep) } : {}),
};
emitResult(result);
