/**
 * Child: one Batchscope training step, timed (bench/engine-trainer.ts builds it as
 * a run does).
 *
 *   node bin/run-ts.mjs bench/engine-step.ts --workload mlp|cnn [--batch B] [--threads 1] [--reps 7 --warmup 5 --warmup-ms 0 --calls 10 --profile]
 *
 * It times one thread: the threaded Batchscope rows train through `trainRun` with
 * the spec's `threads` (bench/threaded-rows.ts), as a sharded run would.
 */
import * as tf from '@tensorflow/tfjs-core';
import { emitResult } from './child-process';
import { engineTrainer } from './engine-trainer';
import { profileKernels } from './kernel-profile';
import { timePerCall, timePerCallAsync } from './stats';
import { parseStepArgs, type StepResult } from './step-result';
import { workloadNamed } from './workloads';

const args = parseStepArgs(process.argv.slice(2));
const workload = workloadNamed(args.workload);
if (args.threads !== 1) throw new Error(`--threads ${args.threads}: engine-step times one thread; threaded rows train through trainRun (bench/threaded-rows.ts)`);

// the stock kernels, before Batchscope registers its own over them
await import('@tensorflow/tfjs-backend-wasm');
const stockKernels = new Map(tf.getKernelsForBackend('wasm').map((k) => [k.kernelName, k.kernelFunc]));
const trainer = await engineTrainer(workload, args.batchSize || workload.batchSize);
const replacedKernels = tf
  .getKernelsForBackend('wasm')
  .filter((k) => stockKernels.get(k.kernelName) !== k.kernelFunc)
  .map((k) => k.kernelName)
  .sort();

const options = { warmup: args.warmup, warmupMs: args.warmupMs, reps: args.reps, callsPerRep: args.callsPerRep };
const tensorsBefore = tf.memory().numTensors;
const stepTimes = await timePerCallAsync(trainer.step, options);
const forwardTimes = timePerCall(trainer.forward, options);
if (tf.memory().numTensors !== tensorsBefore) throw new Error(`tensor leak: ${tf.memory().numTensors - tensorsBefore} tensors after the timed steps`);

const { backend, batchSize } = trainer;
const result: StepResult = {
  implementation: 'batchscope',
  workload: workload.name,
  batchSize,
  threads: args.threads,
  stepMs: stepTimes.wall,
  forwardMs: forwardTimes.wall,
  stepCpuMs: stepTimes.cpu,
  samplesPerSec: batchSize / (stepTimes.wall.median / 1000),
  runtime: `tfjs ${tf.version_core} ${backend.name} (${backend.package} ${backend.version}), Batchscope engine, 1 thread`,
  replacedKernels,
  ...(args.profile ? { profile: await profileKernels(trainer.step) } : {}),
};
emitResult(result);
