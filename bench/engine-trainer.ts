/**
 * One Batchscope training step as a run takes it — selectBackend('wasm') (which
 * registers the fast kernels), buildModel, batchGradients and the plain-SGD
 * optimizer from createOptimizer — on a fixed random batch of MNIST's shape, so
 * every implementation sees the same data. Shared by the step children.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendInfo } from '../common/metrics';
import { selectBackend } from '../main/engine/backend';
import { buildModel } from '../main/engine/models/build-model';
import type { Model } from '../main/engine/models/model';
import { createOptimizer } from '../main/engine/optimizers/create-optimizer';
import { batchGradients } from '../main/engine/training/batch-gradients';
import { makeBatch, type Batch } from '../main/engine/training/batch-source';
import { perSampleCrossEntropy } from '../main/engine/training/loss';
import { BENCH_LR, type Workload } from './workloads';

export interface EngineTrainer {
  backend: BackendInfo;
  model: Model;
  batchSize: number;
  /** forward, backward, SGD update; the loss is read back (batchGradients does, asynchronously) */
  step(): Promise<void>;
  /** forward and mean loss read back, no tape */
  forward(): void;
}

export async function engineTrainer(workload: Workload, batchSize: number): Promise<EngineTrainer> {
  const backend = await selectBackend('wasm');
  const B = batchSize;
  const model = buildModel(workload.model, workload.inputShape, workload.numClasses, 1);
  const optimizer = createOptimizer({ name: 'sgd', weightDecay: 0 }, model.groups);
  const batch: Batch = makeBatch(
    tf.randomUniform([B, ...workload.inputShape], 0, 1, 'float32', 3).dataSync() as Float32Array,
    tf.randomUniform([B], 0, workload.numClasses, 'int32', 2).dataSync() as Int32Array,
    workload.inputShape,
    workload.numClasses,
  );
  // a batch makes its tensors when first read: made here, they are not counted as the step's own
  void [batch.x, batch.labels, batch.oneHot];
  let stepCount = 0;
  return {
    backend,
    model,
    batchSize: B,
    async step() {
      const gradients = await batchGradients(model, batch, undefined, null);
      try {
        await optimizer.apply({ groups: model.groups, grads: gradients.grads, lr: BENCH_LR, step: stepCount++ });
      } finally {
        gradients.grads.forEach((g) => g.forEach((t) => t.dispose()));
      }
    },
    forward() {
      const loss = tf.tidy(() => tf.mean(perSampleCrossEntropy(model.apply(batch.x, { training: true, updateStats: false }), batch.oneHot)));
      loss.dataSync();
      loss.dispose();
    },
  };
}
