/**
 * Training inside the GPU window, reporting with the worker protocol's messages
 * (common/worker-protocol.ts), so the runner can treat the window like a forked worker.
 *
 * Reduced on purpose for now: the window receives its data as arrays from the main
 * process (it cannot read dataset files), and runs the engine's model, loss, batch
 * source and optimizer for `steps` steps with async reads. trainRun itself (evaluation,
 * layer statistics, curvature, schedules) needs its backend selection and dataset
 * loading injected before it can run here; see docs/webgpu.md.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelSpec, OptimizerSpec } from '../../common/spec';
import type { WorkerMessage } from '../../common/worker-protocol';
import type { DataSplit } from '../engine/data/dataset';
import { buildModel } from '../engine/models/build-model';
import { describeLayers, parameterCount } from '../engine/models/model';
import { createOptimizer } from '../engine/optimizers/create-optimizer';
import { streamSeed } from '../engine/seed-streams';
import { BatchSource, disposeBatch } from '../engine/training/batch-source';
import { perSampleCrossEntropy } from '../engine/training/loss';
import { readValues } from '../engine/training/read-back';
import { selectWindowBackend, type WindowBackendPreference } from './browser-backend';

export interface WindowRun {
  backend: WindowBackendPreference;
  model: ModelSpec;
  optimizer: OptimizerSpec;
  lr: number;
  batchSize: number;
  steps: number;
  seed: number;
  inputShape: number[];
  numClasses: number;
  train: DataSplit;
}

export async function trainInWindow(run: WindowRun, post: (message: WorkerMessage) => void): Promise<void> {
  const started = performance.now();
  try {
    const backend = await selectWindowBackend(run.backend);
    const model = buildModel(run.model, run.inputShape, run.numClasses, run.seed);
    const optimizer = createOptimizer(run.optimizer, model.groups);
    const source = new BatchSource(run.train, run.inputShape, run.numClasses, streamSeed(run.seed, 'batchOrder'));
    const vars = model.groups.flatMap((g) => g.params);
    post({
      type: 'started',
      info: { backend, layers: describeLayers(model.groups), paramCount: parameterCount(model.groups), trainSamples: run.train.count, testSamples: 0, totalSteps: run.steps, epochs: 0 },
    });
    try {
      source.startEpoch();
      for (let step = 0; step < run.steps; step++) {
        const stepStart = performance.now();
        const batch = source.next(run.batchSize);
        const { value, grads } = tf.variableGrads(() => tf.mean(perSampleCrossEntropy(model.apply(batch.x, { training: true, updateStats: true }), batch.oneHot)) as tf.Scalar, vars);
        const loss = (await readValues(value))[0]!;
        await optimizer.apply({ groups: model.groups, grads: model.groups.map((g) => g.params.map((p) => grads[p.name]!)), lr: run.lr, step });
        tf.dispose([value, grads]);
        disposeBatch(batch);
        const now = performance.now();
        post({
          type: 'step',
          metrics: { step: step + 1, epoch: ((step + 1) * run.batchSize) / run.train.count, loss, accuracy: NaN, batchSize: run.batchSize, samplesSeen: (step + 1) * run.batchSize, discarded: 0, lr: run.lr, lossUpdate: null, stepMs: now - stepStart, wallMs: now - started },
        });
      }
    } finally {
      optimizer.dispose();
      model.dispose();
    }
    const wallMs = performance.now() - started;
    post({ type: 'finished', summary: { status: 'completed', steps: run.steps, epoch: (run.steps * run.batchSize) / run.train.count, samplesSeen: run.steps * run.batchSize, wallMs, samplesPerSec: (run.steps * run.batchSize) / (wallMs / 1000), lastEval: null } });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    post({ type: 'failed', error: { name: e.name, message: e.message, stack: e.stack } });
  }
}
