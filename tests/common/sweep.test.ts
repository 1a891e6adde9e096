import { describe, expect, it } from 'vitest';
import { axisValueOf, maxSweepRuns, planExperiment, pointValue, runLabel } from '../../common/sweep';

const base = { name: 'gap', dataset: { kind: 'blobs' }, model: { kind: 'mlp' }, training: { epochs: 1 } };

describe('experiment sweeps', () => {
  it('expands the grid in a fixed order with each run validated', () => {
    const result = planExperiment({
      ...base,
      sweep: { batchSize: [64, 4096], optimizer: [{ name: 'sgd' }, { name: 'lars', trustCoefficient: 0.01 }], seed: [1, 2] },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const runs = result.plan.runs;
    expect(runs).toHaveLength(8);
    expect(runs.map((r) => r.spec.batch.size)).toEqual([64, 64, 64, 64, 4096, 4096, 4096, 4096]);
    expect(runs[2]!.spec.optimizer).toMatchObject({ name: 'lars', trustCoefficient: 0.01, momentum: 0.9 });
    expect(runs.map((r) => r.spec.training.seed)).toEqual([1, 2, 1, 2, 1, 2, 1, 2]);
    expect(runLabel(runs[7]!.point, 'x')).toBe('B=4096 · lars · seed=2');
  });

  it('without a sweep is one run', () => {
    const result = planExperiment(base);
    expect(result.ok && result.plan.runs.length).toBe(1);
  });

  it('names the sweep point whose run is invalid', () => {
    const result = planExperiment({ ...base, batch: { size: 256, microBatch: 128 }, sweep: { batchSize: [256, 64] } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues).toEqual([{ path: 'batch.microBatch', message: 'micro-batch (128) is larger than the batch (64) (for sweep.batchSize.1)' }]);
  });

  it('rejects absurd grids before expanding them', () => {
    const seeds = Array.from({ length: 64 }, (_, i) => i);
    const result = planExperiment({ ...base, sweep: { seed: seeds, lr: Array.from({ length: 32 }, (_, i) => 0.01 * (i + 1)) } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]).toEqual({ path: 'sweep', message: expect.stringContaining(`at most ${maxSweepRuns}`) });
  });

  it('rejects unknown sweep axes', () => {
    const result = planExperiment({ ...base, sweep: { momentum: [0.9] } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]!.path).toBe('sweep');
  });
});

describe('method comparison axes', () => {
  it('sweeps discarding on/off and batch-size schedules', () => {
    const result = planExperiment({
      ...base,
      training: { epochs: 3 },
      batch: { size: 512 },
      sweep: { discard: [null, { fraction: 0.2, fromEpoch: 1 }], batchSchedule: [[], [{ epoch: 1, size: 2048 }]] },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const runs = result.plan.runs;
    expect(runs).toHaveLength(4);
    expect(runs[0]!.spec.discard).toBeUndefined();
    expect(runs[2]!.spec.discard).toEqual({ fraction: 0.2, fromEpoch: 1 });
    expect(runs[1]!.spec.batch.schedule).toEqual([{ epoch: 1, size: 2048 }]);
    expect(runLabel(runs[3]!.point, '')).toBe('discard 20% · schedule 2048@1');
    // a stored run's swept values are read back from its config alone
    for (const run of runs) {
      for (const [key, shown] of Object.entries(run.point)) expect(pointValue(key as never, axisValueOf(key as never, run.spec))).toBe(shown);
    }
  });
});
