/**
 * Training inside the GPU window, reporting with the worker protocol's messages
 * (common/worker-protocol.ts), so the runner treats the window like a forked worker.
 *
 * A reduced loop, on purpose: the engine's model, loss, batch source, optimizer, batch-size
 * schedule and learning-rate schedule with async reads, then one evaluation of both splits
 * at the end. Not here: per-layer statistics, curvature (so no cblr/mclr), discarding,
 * accumulation, periodic evaluation. trainRun (main/engine/training/train-run.ts) imports
 * Node-only backend selection and dataset loading; once those are injected it can replace
 * this loop (docs/webgpu.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { EvalMetrics, RunSummary } from '../../common/metrics';
import type { WorkerMessage } from '../../common/worker-protocol';
import { buildModel } from '../engine/models/build-model';
import { describeLayers, parameterCount, type Model } from '../engine/models/model';
import { createOptimizer } from '../engine/optimizers/create-optimizer';
import type { LayerOptimizer } from '../engine/optimizers/optimizer';
import { streamSeed } from '../engine/seed-streams';
import { BatchSource, disposeBatch, type Batch } from '../engine/training/batch-source';
import { evaluateSplit } from '../engine/training/evaluate';
import { correctCount, perSampleCrossEntropy } from '../engine/training/loss';
import { learningRateAt } from '../engine/training/lr-schedule';
import { readValues } from '../engine/training/read-back';
import { selectWindowBackend } from './browser-backend';
import type { WindowRun } from './window-run';

const progressEveryMs = 200;

export async function trainInWindow(run: WindowRun, post: (message: WorkerMessage) => void, cancelled: () => boolean = () => false): Promise<void> {
  try {
    const backend = await selectWindowBackend(run.backend);
    const model = buildModel(run.model, run.inputShape, run.numClasses, run.seed);
    const optimizer = createOptimizer(run.optimizer, model.groups);
    post({
      type: 'started',
      info: {
        backend,
        layers: describeLayers(model.groups),
        paramCount: parameterCount(model.groups),
        trainSamples: run.train.count,
        testSamples: run.test.count,
        totalSteps: run.plan.totalSteps,
        epochs: run.plan.totalEpochs,
        threads: 1,
      },
    });
    try {
      post({ type: 'finished', summary: await loop(run, model, optimizer, post, cancelled) });
    } finally {
      optimizer.dispose();
      model.dispose();
    }
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    post({ type: 'failed', error: { name: e.name, message: e.message, stack: e.stack } });
  }
}

async function loop(
  run: WindowRun,
  model: Model,
  optimizer: LayerOptimizer,
  post: (message: WorkerMessage) => void,
  cancelled: () => boolean,
): Promise<RunSummary> {
  const { plan } = run;
  const source = new BatchSource(run.train, run.inputShape, run.numClasses, streamSeed(run.seed, 'batchOrder'));
  const vars = model.groups.flatMap((g) => g.params);
  const started = performance.now();
  let step = 0;
  let samplesSeen = 0;
  let epochProgress = 0;
  let lastBatchSize = -1;
  let lastProgressMs = -Infinity;
  let lastEval: EvalMetrics | null = null;
  const summary = (status: RunSummary['status'], reason?: string): RunSummary => {
    const wallMs = performance.now() - started;
    return { status, steps: step, epoch: epochProgress, samplesSeen, wallMs, samplesPerSec: samplesSeen / Math.max(wallMs / 1000, 1e-9), lastEval, ...(reason ? { reason } : {}) };
  };

  for (const epochPlan of plan.epochs) {
    source.startEpoch();
    const fullSteps = Math.max(1, Math.floor(run.train.count / epochPlan.batchSize));
    if (epochPlan.batchSize !== lastBatchSize) {
      if (lastBatchSize !== -1) post({ type: 'event', event: { step, kind: 'batch-size', detail: { from: lastBatchSize, to: epochPlan.batchSize, epoch: epochPlan.epoch } } });
      lastBatchSize = epochPlan.batchSize;
    }
    for (let s = 0; s < epochPlan.steps; s++) {
      if (cancelled()) return summary('cancelled');
      const stepStart = performance.now();
      const lr = learningRateAt(run.lr, { batchSize: epochPlan.batchSize, step, epoch: epochPlan.epoch + s / fullSteps, totalSteps: plan.totalSteps, totalEpochs: plan.totalEpochs, stepsPerEpoch: fullSteps });
      const batch = source.next(epochPlan.batchSize);
      let outcome: { loss: number; accuracy: number };
      try {
        outcome = await trainStep(model, optimizer, vars, batch, lr, step);
      } finally {
        disposeBatch(batch);
      }
      if (!Number.isFinite(outcome.loss)) return summary('diverged', `loss became ${outcome.loss} at step ${step + 1} (lr ${lr.toPrecision(3)}, batch ${epochPlan.batchSize})`);
      step += 1;
      samplesSeen += epochPlan.batchSize;
      epochProgress = epochPlan.epoch + (s + 1) / fullSteps;
      const now = performance.now();
      post({
        type: 'step',
        metrics: { step, epoch: epochProgress, loss: outcome.loss, accuracy: outcome.accuracy, batchSize: epochPlan.batchSize, samplesSeen, discarded: 0, lr, lossUpdate: null, noiseScale: null, sharpness: null, stepMs: now - stepStart, wallMs: now - started },
      });
      if (now - lastProgressMs >= progressEveryMs || step === plan.totalSteps) {
        lastProgressMs = now;
        const elapsedMs = now - started;
        post({
          type: 'progress',
          progress: { step, totalSteps: plan.totalSteps, epoch: epochProgress, loss: outcome.loss, accuracy: outcome.accuracy, samplesPerSec: samplesSeen / Math.max(elapsedMs / 1000, 1e-9), etaMs: (elapsedMs / step) * (plan.totalSteps - step) },
        });
        // let the window deliver a cancel message
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
  }
  const train = await evaluateSplit(model, run.train, run.trainEval, run.inputShape, run.numClasses);
  const test = await evaluateSplit(model, run.test, run.testEval, run.inputShape, run.numClasses);
  const badLoss = [train.loss, test.loss].find((l) => !Number.isFinite(l));
  if (badLoss !== undefined) return summary('diverged', `loss became ${badLoss} at step ${step} (evaluation after the update)`);
  lastEval = { step, epoch: epochProgress, trainLoss: train.loss, trainAccuracy: train.accuracy, testLoss: test.loss, testAccuracy: test.accuracy, gap: train.accuracy - test.accuracy, wallMs: performance.now() - started };
  post({ type: 'eval', metrics: lastEval });
  return summary('completed');
}

async function trainStep(model: Model, optimizer: LayerOptimizer, vars: tf.Variable[], batch: Batch, lr: number, step: number): Promise<{ loss: number; accuracy: number }> {
  let correct: tf.Scalar | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.apply(batch.x, { training: true, updateStats: true }) as tf.Tensor2D;
    correct = tf.keep(correctCount(logits, batch.labels));
    return tf.mean(perSampleCrossEntropy(logits, batch.oneHot)) as tf.Scalar;
  }, vars);
  try {
    const [loss, hits] = await Promise.all([readValues(value), readValues(correct!)]);
    await optimizer.apply({ groups: model.groups, grads: model.groups.map((g) => g.params.map((p) => grads[p.name]!)), lr, step });
    return { loss: loss[0]!, accuracy: hits[0]! / batch.size };
  } finally {
    tf.dispose([value, correct!, grads]);
  }
}
