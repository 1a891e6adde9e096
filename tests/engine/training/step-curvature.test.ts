import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRunSpec, type RunSpecInput } from '../../../common/spec';
import { selectBackend } from '../../../main/engine/backend';
import { loadDataset } from '../../../main/engine/data/load-dataset';
import { createCurvatureOracle } from '../../../main/engine/diagnostics/curvature';
import { buildModel } from '../../../main/engine/models/build-model';
import { batchGradients } from '../../../main/engine/training/batch-gradients';
import { BatchSource, disposeBatch, makeBatch } from '../../../main/engine/training/batch-source';
import { perSampleCrossEntropy } from '../../../main/engine/training/loss';
import { createStepCurvature, stepGradientServes } from '../../../main/engine/training/step-curvature';

const blobs = { kind: 'blobs', samples: 600, classes: 3, spread: 0.6 } as const;

async function setUp(input: RunSpecInput, batchSize: number) {
  const spec = parseRunSpec(input);
  const data = await loadDataset(spec.dataset, 0);
  const model = buildModel(spec.model, data.inputShape, data.numClasses, 0);
  const source = new BatchSource(data.train, data.inputShape, data.numClasses, 1);
  source.startEpoch();
  return { spec, model, batch: source.next(batchSize) };
}

describe('the step gradient as the curvature estimators’ g', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('serves only when the sub-batch is the whole batch, nothing was discarded and there is no batch norm', async () => {
    const relu = await setUp({ dataset: blobs, model: { kind: 'mlp', hidden: [8] } }, 64);
    const bnModel = buildModel(parseRunSpec({ dataset: blobs, model: { kind: 'resnet', stages: [1], width: 4 } }).model, [8, 8, 1], 3, 0);
    const bn = { model: bnModel, batch: makeBatch(new Float32Array(64 * 64).map((_, i) => Math.sin(i)), new Int32Array(64).map((_, i) => i % 3), [8, 8, 1], 3) };
    try {
      const diag = relu.spec.diagnostics;
      expect(stepGradientServes(relu.model, relu.batch, diag, 0)).toBe(true);
      expect(stepGradientServes(relu.model, relu.batch, { ...diag, curvatureBatch: 32 }, 0)).toBe(false);
      expect(stepGradientServes(relu.model, relu.batch, { ...diag, curvatureBatch: 64 }, 0)).toBe(true);
      expect(stepGradientServes(relu.model, relu.batch, diag, 3)).toBe(false);
      expect(bn.model.groups.some((g) => g.kind === 'batchnorm')).toBe(true);
      expect(stepGradientServes(bn.model, bn.batch, diag, 0)).toBe(false);
    } finally {
      for (const s of [relu, bn]) {
        disposeBatch(s.batch);
        s.model.dispose();
      }
    }
  });

  it('gives κ_l and its error as an oracle that computes g itself, with micro-batches', async () => {
    const { spec, model, batch } = await setUp({ dataset: blobs, model: { kind: 'mlp', hidden: [16, 8] } }, 96);
    try {
      // the step's gradient summed over three micro-batches: another summation order than one pass
      const gradients = await batchGradients(model, batch, 32, null, null);
      expect(stepGradientServes(model, batch, spec.diagnostics, gradients.discarded)).toBe(true);
      const reused = createStepCurvature(model, batch, spec.diagnostics, 5, gradients.grads);
      const ownLoss = () => tf.mean(perSampleCrossEntropy(model.apply(batch.x, { training: true, updateStats: false }), batch.oneHot as tf.Tensor2D)) as tf.Scalar;
      const own = createCurvatureOracle(model.groups, (frozen) => tf.mean(perSampleCrossEntropy(model.apply(batch.x, { training: true, updateStats: false, frozen }), batch.oneHot as tf.Tensor2D)), { relativeStep: spec.diagnostics.relativeStep, seed: 5 });
      try {
        for (const estimator of ['gradient-difference', 'lars-proxy'] as const) {
          const a = await reused.oracle.layerCurvature(estimator);
          const b = await own.layerCurvature(estimator);
          expect(a.kappa).toHaveLength(3);
          a.kappa.forEach((k, l) => {
            expect(Number.isFinite(k), `${estimator} κ_${l}`).toBe(true);
            expect(Math.abs(k - b.kappa[l]!), `${estimator} κ_${l}: ${k} vs ${b.kappa[l]}`).toBeLessThanOrEqual(1e-3 * Math.abs(b.kappa[l]!) + 1e-6);
            // the error estimate (lars-proxy has none: NaN) is a small difference itself: it agrees to its own size
            if (Number.isNaN(b.error[l])) expect(a.error[l]).toBeNaN();
            else expect(Math.abs(a.error[l]! - b.error[l]!), `${estimator} error_${l}: ${a.error[l]} vs ${b.error[l]}`).toBeLessThanOrEqual(0.05 * Math.abs(b.error[l]!) + 1e-4 * Math.abs(b.kappa[l]!));
          });
        }
        // and L at w agrees with the step's own loss
        expect(ownLoss().dataSync()[0]).toBeCloseTo(gradients.loss, 5);
      } finally {
        reused.dispose();
        own.dispose();
        gradients.grads.forEach((g) => g.forEach((t) => t.dispose()));
      }
    } finally {
      disposeBatch(batch);
      model.dispose();
    }
  });
});
