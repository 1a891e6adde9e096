import { describe, expect, it } from 'vitest';
import { lrScheduleSchema, type LrSchedule } from '../../../common/spec';
import { learningRateAt, type SchedulePosition } from '../../../main/engine/training/lr-schedule';

const schedule = (input: unknown): LrSchedule => lrScheduleSchema.parse(input);

/** 10 epochs of 100 steps at batch size 128 */
function at(step: number, over: Partial<SchedulePosition> = {}): SchedulePosition {
  return { batchSize: 128, step, epoch: step / 100, totalSteps: 1000, totalEpochs: 10, stepsPerEpoch: 100, ...over };
}

describe('learningRateAt', () => {
  it('scales the base rate with the batch size: none, linear, sqrt', () => {
    const big = at(0, { batchSize: 4096 });
    expect(learningRateAt(schedule({ base: 0.1, baseBatchSize: 128 }), big)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(schedule({ base: 0.1, baseBatchSize: 128, scaling: 'linear' }), big)).toBeCloseTo(3.2, 12);
    expect(learningRateAt(schedule({ base: 0.1, baseBatchSize: 128, scaling: 'sqrt' }), big)).toBeCloseTo(0.1 * Math.sqrt(32), 12);
    expect(learningRateAt(schedule({ base: 0.1, baseBatchSize: 128, scaling: 'linear' }), at(0, { batchSize: 64 }))).toBeCloseTo(0.05, 12);
  });

  it('warms up linearly over steps: peak/W at step 0, the peak at step W−1 and after', () => {
    const s = schedule({ base: 0.1, baseBatchSize: 128, scaling: 'linear', warmup: { steps: 50 } });
    const peak = 3.2;
    const rate = (step: number) => learningRateAt(s, at(step, { batchSize: 4096 }));
    expect(rate(0)).toBeCloseTo(peak / 50, 12);
    expect(rate(24)).toBeCloseTo(peak / 2, 12);
    expect(rate(49)).toBeCloseTo(peak, 12);
    expect(rate(50)).toBeCloseTo(peak, 12);
    expect(rate(900)).toBeCloseTo(peak, 12);
  });

  it('warmup in epochs is the same as warmup in its number of steps', () => {
    const inEpochs = schedule({ base: 0.4, warmup: { epochs: 2 }, decay: { kind: 'cosine' } });
    const inSteps = schedule({ base: 0.4, warmup: { steps: 200 }, decay: { kind: 'cosine' } });
    for (const step of [0, 1, 99, 150, 199, 200, 500, 999]) {
      expect(learningRateAt(inEpochs, at(step))).toBeCloseTo(learningRateAt(inSteps, at(step)), 12);
    }
    expect(learningRateAt(inEpochs, at(0))).toBeCloseTo(0.4 / 200, 12);
    expect(learningRateAt(inEpochs, at(199))).toBeCloseTo(0.4, 12);
  });

  it('step decay multiplies by the factor at each milestone epoch reached', () => {
    const s = schedule({ base: 1, decay: { kind: 'step', milestones: [3, 6], factor: 0.1 } });
    expect(learningRateAt(s, at(299))).toBeCloseTo(1, 12);
    expect(learningRateAt(s, at(300))).toBeCloseTo(0.1, 12);
    expect(learningRateAt(s, at(599))).toBeCloseTo(0.1, 12);
    expect(learningRateAt(s, at(600))).toBeCloseTo(0.01, 12);
    expect(learningRateAt(s, at(999))).toBeCloseTo(0.01, 12);
  });

  it('cosine decays from the peak at the end of warmup to minFactor at the end of the run', () => {
    const s = schedule({ base: 1, warmup: { epochs: 2 }, decay: { kind: 'cosine', minFactor: 0.1 } });
    expect(learningRateAt(s, at(200))).toBeCloseTo(1, 12);
    // halfway through the 8 epochs after warmup: min + (1 − min)/2
    expect(learningRateAt(s, at(600))).toBeCloseTo(0.55, 12);
    // a quarter of the way: min + (1 − min)·(1 + cos(π/4))/2
    expect(learningRateAt(s, at(400))).toBeCloseTo(0.1 + 0.9 * 0.5 * (1 + Math.SQRT1_2), 12);
    expect(learningRateAt(s, at(1000, { epoch: 10 }))).toBeCloseTo(0.1, 12);
  });

  it('polynomial decays as (1 − p)^power over the run after warmup', () => {
    const s = schedule({ base: 2, decay: { kind: 'polynomial', power: 2 } });
    expect(learningRateAt(s, at(0))).toBeCloseTo(2, 12);
    expect(learningRateAt(s, at(500))).toBeCloseTo(2 * 0.25, 12);
    expect(learningRateAt(s, at(750))).toBeCloseTo(2 * 0.0625, 12);
    const floored = schedule({ base: 2, warmup: { steps: 200 }, decay: { kind: 'polynomial', power: 1, minFactor: 0.2 } });
    // p = (6 − 2)/(10 − 2) = 0.5: min + (1 − min)·0.5 = 0.6
    expect(learningRateAt(floored, at(600))).toBeCloseTo(2 * 0.6, 12);
    expect(learningRateAt(floored, at(1000, { epoch: 10 }))).toBeCloseTo(2 * 0.2, 12);
  });

  it('follows a batch-size schedule: the scaled rate changes with the batch, decay stays on the epoch axis', () => {
    const s = schedule({ base: 0.1, baseBatchSize: 128, scaling: 'linear', decay: { kind: 'cosine' } });
    // epoch 5 of 10 at batch 512 (25 steps per epoch on a 12 800-sample set)
    const rate = learningRateAt(s, { batchSize: 512, step: 400, epoch: 5, totalSteps: 600, totalEpochs: 10, stepsPerEpoch: 25 });
    expect(rate).toBeCloseTo(0.4 * 0.5, 12);
  });

  it('names the field that is out of range', () => {
    expect(() => learningRateAt(schedule({}), at(0, { batchSize: 0 }))).toThrow(/batchSize/);
    expect(() => learningRateAt(schedule({}), at(0, { epoch: -1 }))).toThrow(/epoch/);
  });
});
