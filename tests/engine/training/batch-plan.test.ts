import { describe, expect, it } from 'vitest';
import { parseRunSpec } from '../../../common/spec';
import { batchSizeAt, planBatches } from '../../../main/engine/training/batch-plan';

const spec = (extra: object) => parseRunSpec({ dataset: { kind: 'blobs' }, model: { kind: 'mlp' }, ...extra });

describe('batch plan', () => {
  it('counts full batches per epoch', () => {
    const plan = planBatches(spec({ training: { epochs: 2 }, batch: { size: 256 } }), 1000);
    expect(plan.epochs).toEqual([
      { epoch: 0, batchSize: 256, steps: 3 },
      { epoch: 1, batchSize: 256, steps: 3 },
    ]);
    expect(plan.totalSteps).toBe(6);
    expect(plan.totalEpochs).toBe(2);
  });

  it('follows the batch-size schedule, steps per epoch following the batch', () => {
    const s = spec({ training: { epochs: 3 }, batch: { size: 100, schedule: [{ epoch: 1, size: 250 }, { epoch: 2, size: 500 }] } });
    expect([0, 1, 2].map((e) => batchSizeAt(s, e))).toEqual([100, 250, 500]);
    expect(planBatches(s, 1000).epochs.map((e) => e.steps)).toEqual([10, 4, 2]);
  });

  it('handles fractional epochs, step budgets and batches larger than the set', () => {
    expect(planBatches(spec({ training: { epochs: 1.5 }, batch: { size: 100 } }), 1000).totalSteps).toBe(15);
    const bySteps = planBatches(spec({ training: { steps: 25 }, batch: { size: 100 } }), 1000);
    expect(bySteps.epochs.map((e) => e.steps)).toEqual([10, 10, 5]);
    expect(planBatches(spec({ training: { epochs: 1 }, batch: { size: 4096 } }), 1000).epochs[0]).toEqual({ epoch: 0, batchSize: 1000, steps: 1 });
  });
});
