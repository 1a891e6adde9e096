/**
 * The scheduled global learning rate: a batch-size scaling rule, linear warmup,
 * then decay. Pure (no tfjs), so the renderer can draw a schedule before a run.
 *   lr = base·scale(B)·warmup·decay
 * scale: none 1, linear B/B0 (Goyal et al. 2017), sqrt √(B/B0) (Krizhevsky 2014).
 * warmup: (steps done incl. this one)/W, from base·scale/W at step 0 to the full
 * rate at step W−1 (Goyal et al. 2017).
 * decay, on the epoch axis: step (× factor at each milestone epoch reached),
 * cosine (Loshchilov & Hutter 2017) and polynomial over the run after warmup,
 * from 1 down to minFactor.
 */
import type { LrSchedule } from '../../../common/spec';

export interface SchedulePosition {
  /** the batch size of this step (it may follow a batch-size schedule) */
  batchSize: number;
  /** 0-based optimizer step */
  step: number;
  /** fractional epochs done when this step starts, e.g. 2.5 halfway through the third epoch */
  epoch: number;
  totalSteps: number;
  totalEpochs: number;
  /** optimizer steps per epoch at the current batch size */
  stepsPerEpoch: number;
}

export function learningRateAt(schedule: LrSchedule, at: SchedulePosition): number {
  checkPosition(at);
  return scaledRate(schedule, at.batchSize) * warmupFactor(schedule, at) * decayFactor(schedule, at);
}

/** base rate scaled from baseBatchSize to `batchSize` by the schedule's rule */
export function scaledRate(schedule: LrSchedule, batchSize: number): number {
  const ratio = batchSize / schedule.baseBatchSize;
  switch (schedule.scaling) {
    case 'none':
      return schedule.base;
    case 'linear':
      return schedule.base * ratio;
    case 'sqrt':
      return schedule.base * Math.sqrt(ratio);
  }
}

/** in (0, 1]: the fraction of warmup done once this step is taken; 1 after warmup or without one */
export function warmupFactor(schedule: LrSchedule, at: SchedulePosition): number {
  const { steps, epochs } = schedule.warmup;
  if (steps !== undefined && steps > 0) return Math.min(1, (at.step + 1) / steps);
  if (epochs !== undefined && epochs > 0) {
    // In steps at the current batch size, so epochs·stepsPerEpoch warmup steps behave like `steps`.
    return Math.min(1, (at.epoch * at.stepsPerEpoch + 1) / (epochs * at.stepsPerEpoch));
  }
  return 1;
}

/** the epoch at which warmup ends (0 without one) */
export function warmupEndEpoch(schedule: LrSchedule, stepsPerEpoch: number): number {
  const { steps, epochs } = schedule.warmup;
  if (steps !== undefined) return steps / stepsPerEpoch;
  return epochs ?? 0;
}

export function decayFactor(schedule: LrSchedule, at: SchedulePosition): number {
  const decay = schedule.decay;
  if (decay.kind === 'constant') return 1;
  if (decay.kind === 'step') {
    const passed = decay.milestones.filter((m) => at.epoch >= m).length;
    return decay.factor ** passed;
  }
  const start = warmupEndEpoch(schedule, at.stepsPerEpoch);
  const span = at.totalEpochs - start;
  const progress = span > 0 ? Math.min(1, Math.max(0, (at.epoch - start) / span)) : at.epoch >= start ? 1 : 0;
  const shape = decay.kind === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * progress)) : (1 - progress) ** decay.power;
  return decay.minFactor + (1 - decay.minFactor) * shape;
}

function checkPosition(at: SchedulePosition): void {
  const positive: (keyof SchedulePosition)[] = ['batchSize', 'stepsPerEpoch'];
  const nonNegative: (keyof SchedulePosition)[] = ['step', 'epoch', 'totalSteps', 'totalEpochs'];
  for (const key of positive) {
    if (!(at[key] > 0) || !Number.isFinite(at[key])) throw new RangeError(`learningRateAt: ${key} must be a positive number, got ${at[key]}`);
  }
  for (const key of nonNegative) {
    if (!(at[key] >= 0) || !Number.isFinite(at[key])) throw new RangeError(`learningRateAt: ${key} must be a non-negative number, got ${at[key]}`);
  }
}
