/**
 * Child: the reference step in stock TensorFlow.js — the same network written with
 * plain tf ops, `tf.losses.softmaxCrossEntropy` and `tf.train.sgd().minimize` — on
 * the wasm backend. Nothing of Batchscope's engine is imported here, so
 * registerFastKernels is never called in this process.
 *
 *   node bin/run-ts.mjs bench/stock-tfjs-step.ts --workload mlp|cnn [--reps 7 --warmup 5 --warmup-ms 0 --calls 10 --profile]
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { emitResult } from './child-process';
import { profileKernels } from './kernel-profile';
import { timePerCall } from './stats';
import { parseStepArgs, type StepResult } from './step-result';
import { BENCH_LR, workloadNamed, type Workload } from './workloads';

const args = parseStepArgs(process.argv.slice(2));
const workload = workloadNamed(args.workload);
if (!(await tf.setBackend('wasm'))) throw new Error("tf.setBackend('wasm') failed");
await tf.ready();

type Forward = (x: tf.Tensor) => tf.Tensor2D;

function heNormal(shape: number[], fanIn: number, seed: number): tf.Variable {
  return tf.variable(tf.truncatedNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed));
}

function denseStack(widths: number[], seed: number): { vars: tf.Variable[]; apply: (h: tf.Tensor2D) => tf.Tensor2D } {
  const layers = widths.slice(1).map((out, i) => [heNormal([widths[i]!, out], widths[i]!, seed + i), tf.variable(tf.zeros([out]))] as const);
  return {
    vars: layers.flat(),
    apply: (h) => {
      layers.forEach(([w, b], i) => {
        h = tf.add(tf.matMul(h, w as tf.Tensor2D), b);
        if (i + 1 < layers.length) h = tf.relu(h);
      });
      return h;
    },
  };
}

function build(w: Workload): { vars: tf.Variable[]; forward: Forward } {
  const [height, width, channels] = w.inputShape;
  const spec = w.model;
  if (spec.kind === 'mlp') {
    const inputSize = height * width * channels;
    const dense = denseStack([inputSize, ...spec.hidden, w.numClasses], 10);
    return { vars: dense.vars, forward: (x) => dense.apply(tf.reshape(x, [x.shape[0]!, inputSize])) };
  }
  if (spec.kind !== 'cnn') throw new Error(`stock-tfjs-step: no reference for model kind '${spec.kind}'`);
  let [h, wd, c] = [height, width, channels];
  const convs = spec.conv.map((block, i) => {
    const kernel = heNormal([block.kernelSize, block.kernelSize, c, block.filters], block.kernelSize * block.kernelSize * c, 20 + i);
    const bias = tf.variable(tf.zeros([block.filters]));
    c = block.filters;
    h = Math.floor(h / block.pool);
    wd = Math.floor(wd / block.pool);
    return { kernel, bias, block };
  });
  const flat = h * wd * c;
  const dense = denseStack([flat, ...spec.dense, w.numClasses], 30);
  return {
    vars: [...convs.flatMap((k) => [k.kernel, k.bias]), ...dense.vars],
    forward: (x) => {
      let t = x as tf.Tensor4D;
      for (const { kernel, bias, block } of convs) {
        t = tf.relu(tf.add(tf.conv2d(t, kernel as tf.Tensor4D, block.stride, block.padding), bias)) as tf.Tensor4D;
        if (block.pool > 1) t = tf.maxPool(t, block.pool, block.pool, 'valid');
      }
      return dense.apply(tf.reshape(t, [t.shape[0], flat]));
    },
  };
}

const B = workload.batchSize;
const { vars, forward } = build(workload);
const x = tf.randomUniform([B, ...workload.inputShape], 0, 1, 'float32', 3);
const oneHot = tf.tidy(() => tf.oneHot(tf.randomUniform([B], 0, workload.numClasses, 'int32', 2) as tf.Tensor1D, workload.numClasses).toFloat());
const optimizer = tf.train.sgd(BENCH_LR);
const loss = (): tf.Scalar => tf.losses.softmaxCrossEntropy(oneHot, forward(x)) as tf.Scalar;

const trainStep = (): void => {
  const cost = optimizer.minimize(loss, true, vars)!;
  cost.dataSync();
  cost.dispose();
};
const forwardOnly = (): void => {
  const value = tf.tidy(loss);
  value.dataSync();
  value.dispose();
};

const options = { warmup: args.warmup, warmupMs: args.warmupMs, reps: args.reps, callsPerRep: args.callsPerRep };
const stepTimes = timePerCall(trainStep, options);
const forwardTimes = timePerCall(forwardOnly, options);
const wasmVersion = (createRequire(import.meta.url)('@tensorflow/tfjs-backend-wasm/package.json') as { version: string }).version;

const result: StepResult = {
  implementation: 'stock-tfjs',
  workload: workload.name,
  batchSize: B,
  stepMs: stepTimes.wall,
  forwardMs: forwardTimes.wall,
  stepCpuMs: stepTimes.cpu,
  samplesPerSec: B / (stepTimes.wall.median / 1000),
  runtime: `tfjs ${tf.version.tfjs} wasm (@tensorflow/tfjs-backend-wasm ${wasmVersion}), stock kernels, tf.train.sgd().minimize`,
  ...(args.profile ? { profile: await profileKernels(trainStep) } : {}),
};
emitResult(result);
