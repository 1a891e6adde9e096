import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRunSpec, type RunSpecInput } from '../../../common/spec';
import { loadDataset } from '../../../main/engine/data/load-dataset';
import { buildModel } from '../../../main/engine/models/build-model';
import type { Model } from '../../../main/engine/models/model';
import { createOptimizer } from '../../../main/engine/optimizers/create-optimizer';
import type { LayerOptimizer, OptimizerStepInput } from '../../../main/engine/optimizers/optimizer';
import { BatchSource, disposeBatch } from '../../../main/engine/training/batch-source';
import { trainRun } from '../../../main/engine/training/train-run';
import { StudyDiagnostics } from '../../../main/engine/training/study-diagnostics';
import { trainStep, type StepOutcome } from '../../../main/engine/training/train-step';
import { RecordingSink } from './record-sink';

process.env.BATCHSCOPE_QUIET = '1';

const blobs = { kind: 'blobs', samples: 600, classes: 3, spread: 0.6 } as const;

describe('an optimizer says whether it needs curvature', () => {
  it('CBLR and MCLR need it, the others do not', async () => {
    const input: RunSpecInput = { dataset: blobs, model: { kind: 'mlp', hidden: [8] } };
    const data = await loadDataset(parseRunSpec(input).dataset, 0);
    for (const name of ['sgd', 'momentum', 'adam', 'adamw', 'lars', 'lamb', 'cblr', 'mclr'] as const) {
      const spec = parseRunSpec({ ...input, optimizer: { name } });
      const model = buildModel(spec.model, data.inputShape, data.numClasses, 0);
      const optimizer = createOptimizer(spec.optimizer, model.groups);
      expect(optimizer.needsCurvature, name).toBe(name === 'cblr' || name === 'mclr');
      optimizer.dispose();
      model.dispose();
    }
  });

  it('a CBLR run gets curvature every step it refreshes, with the diagnostics curvature off', async () => {
    const sink = new RecordingSink();
    const summary = await trainRun(
      {
        dataset: blobs,
        model: { kind: 'mlp', hidden: [16, 8] },
        optimizer: { name: 'cblr', refreshEvery: 2 },
        batch: { size: 50 },
        training: { steps: 8 },
        diagnostics: { every: 1, curvatureEvery: 0 },
      },
      sink,
    );
    // without an oracle its first step throws ("the step has no curvature oracle")
    expect(summary.status, summary.reason).toBe('completed');
    expect(sink.layerRows).toHaveLength(8 * 3);
    expect(sink.layerRows.every((r) => r.curvature === null && r.curvatureError === null)).toBe(true);
    // κ_l reached it: each layer runs at its own rate
    const lastRates = sink.layerRows.filter((r) => r.step === 8).map((r) => r.effectiveLr);
    expect(Math.max(...lastRates) / Math.min(...lastRates)).toBeGreaterThan(1.01);
  });

  it('an SGD run measures curvature only at the diagnostics cadence', async () => {
    const run = async (curvatureEvery: number) => {
      const sink = new RecordingSink();
      const summary = await trainRun(
        { dataset: blobs, model: { kind: 'mlp', hidden: [8] }, optimizer: { name: 'sgd' }, batch: { size: 50 }, training: { steps: 6 }, diagnostics: { every: 1, curvatureEvery } },
        sink,
      );
      expect(summary.status, summary.reason).toBe('completed');
      return [...new Set(sink.layerRows.filter((r) => r.curvature !== null).map((r) => r.step))];
    };
    expect(await run(0)).toEqual([]);
    // 0-based optimizer steps 0, 3 are reported as steps 1, 4
    expect(await run(3)).toEqual([1, 4]);
  });
});

describe('the training step asks the optimizer object, not its name', () => {
  const made: { model: Model; optimizer: LayerOptimizer }[] = [];
  afterEach(() => {
    made.splice(0).forEach(({ model, optimizer }) => {
      optimizer.dispose();
      model.dispose();
    });
  });

  /** A real SGD step whose capability is set by the test, recording what each update is handed. */
  async function stepWithSgd(needsCurvature: boolean, curvatureEvery: number): Promise<{ outcome: StepOutcome; handed: OptimizerStepInput }> {
    const spec = parseRunSpec({ dataset: blobs, model: { kind: 'mlp', hidden: [8] }, optimizer: { name: 'sgd' }, batch: { size: 40 }, diagnostics: { every: 1, curvatureEvery } });
    const data = await loadDataset(spec.dataset, 0);
    const model = buildModel(spec.model, data.inputShape, data.numClasses, 0);
    const sgd = createOptimizer(spec.optimizer, model.groups);
    made.push({ model, optimizer: sgd });
    let handed: OptimizerStepInput | null = null;
    let kappaCount = -1;
    const optimizer: LayerOptimizer = {
      name: sgd.name,
      needsCurvature,
      apply: async (input) => {
        handed = input;
        // the oracle must answer while the step is live (it is disposed after it)
        if (input.curvature) kappaCount = (await input.curvature.layerCurvature('gradient-difference')).kappa.filter(Number.isFinite).length;
        return sgd.apply(input);
      },
      dispose: () => {},
    };
    const source = new BatchSource(data.train, data.inputShape, data.numClasses, 1);
    source.startEpoch();
    const batch = source.next(40);
    // a batch makes its tensors when first read: make them now, so that only the step's own are counted
    void [batch.x, batch.labels, batch.oneHot];
    const tensorsBefore = tf.memory().numTensors;
    try {
      const study = new StudyDiagnostics(model, spec.diagnostics, 3);
      const outcome = await trainStep({ model, optimizer, shards: null, diag: spec.diagnostics, microBatch: undefined, batch, lr: 0.1, step: 0, discard: null, curvatureSeed: 7, study }).finally(() => study.dispose());
      expect(tf.memory().numTensors, 'the step leaves no tensors behind').toBe(tensorsBefore);
      expect(handed).not.toBeNull();
      if (needsCurvature) expect(kappaCount).toBe(2);
      return { outcome, handed: handed! };
    } finally {
      disposeBatch(batch);
    }
  }

  it('hands an oracle to an "sgd" that declares it needs curvature', async () => {
    const { outcome, handed } = await stepWithSgd(true, 0);
    expect(handed.curvature).toBeDefined();
    // the diagnostics cadence did not ask for κ_l, so the records carry none
    expect(outcome.layers!.map((l) => l.curvature)).toEqual([null, null]);
  });

  it('hands none to an optimizer that does not, even when the diagnostics measure curvature', async () => {
    const { outcome, handed } = await stepWithSgd(false, 1);
    expect(handed.curvature).toBeUndefined();
    expect(outcome.layers!.every((l) => Number.isFinite(l.curvature))).toBe(true);
  });
});
