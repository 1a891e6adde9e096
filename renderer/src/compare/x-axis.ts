/**
 * The x axis of a comparison: step, epoch, samples seen or wall time. Step
 * series carry all four columns; evaluations lack samples seen and layer
 * series carry only steps, so theirs are read off the run's step timeline.
 */
import type { StepSeries } from '../../../common/api-contract';
import { interpolate } from '../../../common/stats/interpolate';

export { interpolate };

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
