/**
 * The x axis of a comparison: step, epoch, samples seen or wall time. Step
 * series carry all four columns; evaluations lack samples seen and layer
 * series carry only steps, so theirs are read off the run's step timeline.
 */
import type { StepSeries } from '../../../common/api-contract';

export const xAxisKinds = ['step', 'epoch', 'samples', 'wall'] as const;
export type XAxisKind = (typeof xAxisKinds)[number];

export const xAxisLabels: Record<XAxisKind, string> = {
  step: 'step',
  epoch: 'epoch',
  samples: 'samples seen',
  wall: 'wall time',
};

export type Timeline = Pick<StepSeries, 'step' | 'epoch' | 'samplesSeen' | 'wallMs'>;

const columns: Record<Exclude<XAxisKind, 'step'>, keyof Timeline> = { epoch: 'epoch', samples: 'samplesSeen', wall: 'wallMs' };

/** y at x by linear interpolation over ascending xs; held constant beyond the ends. */
export function interpolate(xs: readonly number[], ys: readonly number[], x: number): number | null {
  const n = Math.min(xs.length, ys.length);
  if (n === 0) return null;
  if (x <= xs[0]!) return ys[0]!;
  if (x >= xs[n - 1]!) return ys[n - 1]!;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid;
    else hi = mid;
  }
  const x0 = xs[lo]!;
  const x1 = xs[hi]!;
  const t = x1 === x0 ? 0 : (x - x0) / (x1 - x0);
  return ys[lo]! + t * (ys[hi]! - ys[lo]!);
}

/** x values for points known by step; null when the timeline needed is missing. */
export function xForSteps(steps: readonly number[], kind: XAxisKind, timeline: Timeline | undefined): number[] | null {
  if (kind === 'step') return [...steps];
  if (!timeline || timeline.step.length === 0) return null;
  const ys = timeline[columns[kind]];
  return steps.map((s) => interpolate(timeline.step, ys, s) ?? Number.NaN);
}

/** x values of a step series itself (all columns present). */
export function xOfStepSeries(series: Timeline, kind: XAxisKind): number[] {
  return kind === 'step' ? series.step : series[columns[kind]];
}
