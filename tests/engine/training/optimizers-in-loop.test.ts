import { describe, expect, it } from 'vitest';
import { trainRun } from '../../../main/engine/training/train-run';
import { RecordingSink } from './record-sink';

process.env.BATCHSCOPE_QUIET = '1';

const optimizers = [
  { name: 'sgd' },
  { name: 'momentum', nesterov: true },
  { name: 'adam' },
  { name: 'adamw' },
  { name: 'lars', trustCoefficient: 0.02 },
  { name: 'lamb' },
  { name: 'cblr', refreshEvery: 3 },
  { name: 'mclr', refreshEvery: 3 },
  { name: 'mclr', elementCurvature: 'hutchinson', refreshEvery: 3 },
] as const;

describe('every optimizer inside the training loop', () => {
  for (const optimizer of optimizers) {
    it(`${optimizer.name}${'elementCurvature' in optimizer ? ` (${optimizer.elementCurvature})` : ''} trains and logs per-layer effective learning rates`, async () => {
      const sink = new RecordingSink();
      const summary = await trainRun(
        {
          dataset: { kind: 'spirals', samples: 1500, arms: 3 },
          model: { kind: 'mlp', hidden: [32, 16] },
          optimizer,
          lr: { base: optimizer.name.startsWith('adam') || optimizer.name === 'lamb' ? 0.01 : 0.1 },
          batch: { size: 256, microBatch: 128 },
          training: { epochs: 4 },
          diagnostics: { every: 1, curvatureEvery: 3 },
        },
        sink,
      );
      expect(summary.status).toBe('completed');
      const first = sink.steps[0]!.loss;
      expect(sink.steps.at(-1)!.loss).toBeLessThan(first);
      const lrs = sink.layerRows.map((r) => r.effectiveLr);
      expect(lrs.every((lr) => Number.isFinite(lr) && lr > 0)).toBe(true);
      const perLayerAtLastStep = sink.layerRows.filter((r) => r.step === sink.steps.length).map((r) => r.effectiveLr);
      expect(perLayerAtLastStep).toHaveLength(3);
      const layerWise = ['lars', 'lamb', 'cblr', 'mclr'].includes(optimizer.name);
      const spread = Math.max(...perLayerAtLastStep) / Math.min(...perLayerAtLastStep);
      // layer-wise methods give each layer its own rate; global ones the same rate to all
      if (layerWise) expect(spread).toBeGreaterThan(1.01);
      else expect(spread).toBeCloseTo(1, 6);
    });
  }
});
