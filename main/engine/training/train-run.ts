/**
 * One training run, from a spec to a summary: the loop that ties data, model,
 * optimizer, schedules and per-layer diagnostics together and reports every
 * metric to a sink. The steps it is made of live beside it: train-step.ts (a batch
 * to an update), diagnostics-on-cadence.ts, evaluation-step.ts, divergence.ts.
 */
import type { EvalMetrics, RunSummary } from '../../../common/metrics';
import { parseRunSpec, type RunSpec } from '../../../common/spec';
import { largestBatch, resolveThreads } from '../../../common/threads';
import { availableParallelism } from 'node:os';
import { resolvePreference, selectBackend } from '../backend';
import { loadDataset } from '../data/load-dataset';
import type { DatasetLoader } from '../data/last-dataset-cache';
import type { Dataset } from '../data/dataset';
import { buildModel } from '../models/build-model';
import { describeLayers, parameterCount, type Model } from '../models/model';
import { createOptimizer } from '../optimizers/create-optimizer';
import type { LayerOptimizer } from '../optimizers/optimizer';
import { streamSeed } from '../seed-streams';
import { planBatches, type BatchPlan } from './batch-plan';
import { BatchSource, disposeBatch } from './batch-source';
import type { DiscardRule } from './batch-gradients';
import { stepDivergence, evaluationDivergence } from './divergence';
import { createEvalSchedule } from './eval-schedule';
import { createRunEvaluation } from './evaluation-step';
import { learningRateAt } from './lr-schedule';
import { neverCancelled, type RunControl, type RunSink } from './run-sink';
import { StudyDiagnostics } from './study-diagnostics';
import { trainStep, type StepOutcome } from './train-step';
import { ShardPool } from '../shards/shard-pool';
import { assertDeviceAlive } from '../webgpu/device-loss';

const progressEveryMs = 200;

export interface TrainRunOptions {
  /** where the dataset comes from: a long-lived training process passes one that keeps the last dataset */
  loadDataset?: DatasetLoader;
}

export async function trainRun(input: unknown, sink: RunSink, control: RunControl = neverCancelled, options: TrainRunOptions = {}): Promise<RunSummary> {
  const parsed = parseRunSpec(input);
  // an optimizer's own rate overrides the schedule's base rate
  const spec: RunSpec = parsed.optimizer.lr === undefined ? parsed : { ...parsed, lr: { ...parsed.lr, base: parsed.optimizer.lr } };
  const backend = await selectBackend(resolvePreference(spec.backend));
  const data = await (options.loadDataset ?? loadDataset)(spec.dataset, spec.training.seed);
  const plan = planBatches(spec, data.train.count);
  const model = buildModel(spec.model, data.inputShape, data.numClasses, spec.training.seed);
  const optimizer = createOptimizer(spec.optimizer, model.groups);
  let shards: ShardPool | null = null;
  try {
    // "auto" here is the whole machine: the runner resolves it against its core budget before a run starts
    let threads = resolveThreads(spec.threads, largestBatch(spec), availableParallelism());
    if (threads > 1 && backend.name !== 'wasm' && backend.name !== 'cpu') {
      // native backends run their own thread pools; replicas of them in worker_threads are not supported
      sink.event({ step: 0, kind: 'note', detail: { threads: 1, reason: `threads need the wasm or cpu backend, not ${backend.name}` } });
      threads = 1;
    }
    if (threads > 1) {
      shards = await ShardPool.start({
        threads,
        backend: backend.name as 'wasm' | 'cpu',
        model: spec.model,
        reference: model,
        inputShape: data.inputShape,
        numClasses: data.numClasses,
        seed: spec.training.seed,
      });
    }
    sink.started({
      backend,
      layers: describeLayers(model.groups),
      paramCount: parameterCount(model.groups),
      trainSamples: data.train.count,
      testSamples: data.test.count,
      totalSteps: plan.totalSteps,
      epochs: plan.totalEpochs,
      threads,
    });
    return await loop(spec, data, plan, model, optimizer, shards, sink, control);
  } finally {
    await shards?.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

function discardRuleAt(spec: RunSpec, epoch: number): DiscardRule | null {
  const d = spec.discard;
  if (!d || epoch < d.fromEpoch || (d.toEpoch !== undefined && epoch >= d.toEpoch)) return null;
  return { fraction: d.fraction, threshold: d.threshold };
}

async function loop(
  spec: RunSpec,
  data: Dataset,
  plan: BatchPlan,
  model: Model,
  optimizer: LayerOptimizer,
  shards: ShardPool | null,
  sink: RunSink,
  control: RunControl,
): Promise<RunSummary> {
  const seed = spec.training.seed;
  const source = new BatchSource(data.train, data.inputShape, data.numClasses, streamSeed(seed, 'batchOrder'), shards?.sampleBuffers);
  const started = performance.now();
  const evaluate = createRunEvaluation(model, data, spec.training, () => performance.now() - started);
  const shouldEvaluate = createEvalSchedule(spec.training, plan);
  let step = 0;
  let samplesSeen = 0;
  let epochProgress = 0;
  let lastEval: EvalMetrics | null = null;
  let lastProgressMs = -Infinity;
  let lastBatchSize = -1;
  let lastLoss = NaN;
  let lastAccuracy = NaN;
  let discardLogged = false;
  const study = new StudyDiagnostics(model, spec.diagnostics, streamSeed(seed, 'sharpnessStart'));

  const summary = (status: RunSummary['status'], reason?: string | null): RunSummary => {
    const wallMs = performance.now() - started;
    study.dispose();
    return {
      status,
      steps: step,
      epoch: epochProgress,
      samplesSeen,
      wallMs,
      samplesPerSec: samplesSeen / Math.max(wallMs / 1000, 1e-9),
      lastEval,
      noiseScale: study.lastNoiseScale,
      sharpness: study.lastSharpness,
      ...(reason ? { reason } : {}),
    };
  };

  for (const epochPlan of plan.epochs) {
    source.startEpoch();
    const fullSteps = Math.max(1, Math.floor(data.train.count / epochPlan.batchSize));
    if (epochPlan.batchSize !== lastBatchSize) {
      if (lastBatchSize !== -1) sink.event({ step, kind: 'batch-size', detail: { from: lastBatchSize, to: epochPlan.batchSize, epoch: epochPlan.epoch } });
      lastBatchSize = epochPlan.batchSize;
    }
    for (let s = 0; s < epochPlan.steps; s++) {
      if (control.cancelled()) return summary('cancelled');
      assertDeviceAlive();
      const stepStart = performance.now();
      const epoch = epochPlan.epoch + s / fullSteps;
      const lr = learningRateAt(spec.lr, {
        batchSize: epochPlan.batchSize,
        step,
        epoch,
        totalSteps: plan.totalSteps,
        totalEpochs: plan.totalEpochs,
        stepsPerEpoch: fullSteps,
      });
      const batch = source.next(epochPlan.batchSize);
      let outcome: StepOutcome;
      try {
        outcome = await trainStep({
          model,
          optimizer,
          shards,
          diag: spec.diagnostics,
          microBatch: spec.batch.microBatch,
          batch,
          lr,
          step,
          discard: discardRuleAt(spec, epoch),
          curvatureSeed: streamSeed(seed, 'curvatureProbes', step),
          study,
          last: step + 1 === plan.totalSteps,
        });
      } finally {
        disposeBatch(batch);
      }
      const diverged = stepDivergence(outcome.loss, { step, lr, batchSize: epochPlan.batchSize });
      if (diverged) return summary('diverged', diverged);
      step += 1;
      samplesSeen += epochPlan.batchSize;
      epochProgress = epochPlan.epoch + (s + 1) / fullSteps;
      lastLoss = outcome.loss;
      lastAccuracy = outcome.accuracy;
      const stepMs = performance.now() - stepStart;
      sink.step({
        step,
        epoch: epochProgress,
        loss: outcome.loss,
        accuracy: outcome.accuracy,
        batchSize: epochPlan.batchSize,
        samplesSeen,
        discarded: outcome.discarded,
        lr,
        lossUpdate: outcome.lossUpdate,
        noiseScale: outcome.noiseScale,
        sharpness: outcome.sharpness,
        stepMs,
        wallMs: performance.now() - started,
      });
      if (outcome.discarded > 0 && !discardLogged) {
        // once, when discarding starts (the per-step count is in the step metrics)
        discardLogged = true;
        sink.event({ step, kind: 'discard', detail: { ...spec.discard } });
      }
      if (outcome.layers) sink.layers(outcome.layers.map((l) => ({ ...l, step })));
      if (shouldEvaluate(step, epochProgress)) {
        const metrics = await evaluate({ step, epoch: epochProgress });
        const evalDiverged = evaluationDivergence(metrics, step);
        if (evalDiverged) return summary('diverged', evalDiverged);
        lastEval = metrics;
        sink.eval(metrics);
      }
      const now = performance.now();
      if (now - lastProgressMs >= progressEveryMs || step === plan.totalSteps) {
        lastProgressMs = now;
        const elapsedMs = now - started;
        sink.progress({
          step,
          totalSteps: plan.totalSteps,
          epoch: epochProgress,
          loss: lastLoss,
          accuracy: lastAccuracy,
          samplesPerSec: samplesSeen / Math.max(elapsedMs / 1000, 1e-9),
          etaMs: (elapsedMs / step) * (plan.totalSteps - step),
        });
        // let the event loop deliver a cancel message
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }
  return summary('completed');
}
