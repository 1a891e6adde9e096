/**
 * Where data-parallel shards start to pay: samples/s of the MLP 784-256-128-10 training
 * step (batchGradients + SGD) with 1 and with 2 threads, over batch sizes. The smallest
 * batch at which 2 threads win sets common/threads.ts's minSamplesPerShard (B / 2).
 * On a machine whose cores are busy with other work the wall-clock ratio says little, so
 * it also prints CPU ms per step (all threads of the process): 2 · cpu(1) / cpu(2) is the
 * speed-up two idle cores would give if the shards overlapped perfectly, an upper bound.
 *
 *   node bin/run-ts.mjs bench/shard-threshold.ts [--batches 64,128,256,512,1024] [--steps 20]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelSpec } from '../common/spec';
import { selectBackend } from '../main/engine/backend';
import { buildModel } from '../main/engine/models/build-model';
import { createOptimizer } from '../main/engine/optimizers/create-optimizer';
import { ShardPool } from '../main/engine/shards/shard-pool';
import { batchGradients } from '../main/engine/training/batch-gradients';
import { disposeBatch, makeBatch } from '../main/engine/training/batch-source';
import { median } from './stats';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const batches = option('batches', '64,128,256,512,1024').split(',').map(Number);
const steps = Number(option('steps', '20'));
const modelSpec: ModelSpec = { kind: 'mlp', hidden: [256, 128], activation: 'relu' };
const inputShape = [784];

await selectBackend('wasm');
const model = buildModel(modelSpec, inputShape, 10, 1);
const optimizer = createOptimizer({ name: 'sgd', weightDecay: 0 }, model.groups);
const pool = await ShardPool.start({ threads: 2, backend: 'wasm', model: modelSpec, reference: model, inputShape, numClasses: 10, seed: 1 });

interface Timing {
  samplesPerSec: number;
  cpuMsPerStep: number;
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

async function measure(batchSize: number, threads: 1 | 2): Promise<Timing> {
  const batch = makeBatch(
    tf.randomUniform([batchSize, 784], 0, 1, 'float32', batchSize).dataSync() as Float32Array,
    tf.randomUniform([batchSize], 0, 10, 'int32', batchSize + 1).dataSync() as Int32Array,
    inputShape,
    10,
  );
  const times: number[] = [];
  const cpu: number[] = [];
  for (let s = 0; s < steps + 3; s++) {
    const t0 = performance.now();
    const c0 = cpuMs();
    const g = await batchGradients(model, batch, undefined, null, threads === 2 ? pool : null);
    optimizer.apply({ groups: model.groups, grads: g.grads, lr: 0.01, step: s });
    tf.dispose(g.grads);
    if (s >= 3) {
      times.push(performance.now() - t0);
      cpu.push(cpuMs() - c0);
    }
  }
  disposeBatch(batch);
  return { samplesPerSec: batchSize / (median(times) / 1000), cpuMsPerStep: median(cpu) };
}

console.log(`MLP 784-256-128-10, wasm, median of ${steps} steps (batchGradients + SGD), samples/s`);
console.log('    B   1 thread  2 threads  ratio | cpu ms/step 1 thread  2 threads  2·cpu1/cpu2');
try {
  for (const b of batches) {
    const one = await measure(b, 1);
    const two = await measure(b, 2);
    console.log(
      `${String(b).padStart(5)} ${one.samplesPerSec.toFixed(0).padStart(10)} ${two.samplesPerSec.toFixed(0).padStart(10)}  ${(two.samplesPerSec / one.samplesPerSec).toFixed(2)}× |` +
        ` ${one.cpuMsPerStep.toFixed(1).padStart(19)} ${two.cpuMsPerStep.toFixed(1).padStart(10)}  ${((2 * one.cpuMsPerStep) / two.cpuMsPerStep).toFixed(2)}×`,
    );
  }
} finally {
  await pool.dispose();
  optimizer.dispose();
  model.dispose();
}
