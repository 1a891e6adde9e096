/**
 * Steps (and samples) each run needed to first reach a target — test accuracy
 * at or above it, or training loss at or below it — and, per batch size, where
 * the sweep sits among the three regimes of Shallue et al. 2019 ("Measuring
 * the Effects of Data Parallelism on Neural Network Training"): perfect
 * scaling (doubling B halves the steps), diminishing returns, and the maximal
 * useful batch size (doubling B no longer saves steps). Pure.
 */
import type { EvalSeries } from '../api-contract';
import { interval, type Interval } from '../stats/interval';

export type TargetMetric = 'testAccuracy' | 'trainLoss';

export interface Target {
  metric: TargetMetric;
  value: number;
}

export interface RunReach {
  runId: number;
  batchSize: number;
  /** first evaluated step at which the target held; null when it never did */
  steps: number | null;
  /** samples seen by then (steps × batch when no timeline) */
  samples: number | null;
}

export type Regime = 'baseline' | 'perfect' | 'diminishing' | 'maximal' | 'unreached';

export interface BatchReach {
  batchSize: number;
  /** over the runs at this batch size that reached the target */
  steps: Interval;
  samples: Interval;
  reached: number;
  runs: number;
  regime: Regime;
}

export function reached(target: Target, value: number | null | undefined): boolean {
  if (value === null || value === undefined || !Number.isFinite(value)) return false;
  return target.metric === 'testAccuracy' ? value >= target.value : value <= target.value;
}

/** The first evaluation that meets the target, as steps and samples seen. */
export function runReach(
  run: { runId: number; batchSize: number },
  series: Pick<EvalSeries, 'step' | 'testAccuracy' | 'trainLoss'> | undefined,
  target: Target,
  samplesAtStep?: (step: number) => number | null,
): RunReach {
  const values = series?.[target.metric] ?? [];
  const i = values.findIndex((v) => reached(target, v));
  if (!series || i < 0) return { ...run, steps: null, samples: null };
  const steps = series.step[i]!;
  return { ...run, steps, samples: samplesAtStep?.(steps) ?? steps * run.batchSize };
}

/**
 * How much of the ideal saving a doubling of B kept: 1 for perfect scaling
 * (steps halve), 0 when steps did not fall at all.
 */
export function scalingEfficiency(smallB: number, smallSteps: number, largeB: number, largeSteps: number): number {
  const ideal = Math.log(largeB / smallB);
  return ideal > 0 ? Math.log(smallSteps / largeSteps) / ideal : NaN;
}

/** efficiency ≥ this counts as perfect scaling, ≤ the other as the maximal useful batch */
const PERFECT = 0.8;
const MAXIMAL = 0.1;

export function reachByBatchSize(runs: readonly RunReach[]): BatchReach[] {
  const bySize = new Map<number, RunReach[]>();
  for (const r of runs) bySize.set(r.batchSize, [...(bySize.get(r.batchSize) ?? []), r]);
  const sizes = [...bySize.keys()].sort((a, b) => a - b);
  const out: BatchReach[] = [];
  let previous: BatchReach | null = null;
  for (const batchSize of sizes) {
    const members = bySize.get(batchSize)!;
    const hit = members.filter((m) => m.steps !== null);
    const steps = interval(hit.map((m) => m.steps));
    const samples = interval(hit.map((m) => m.samples));
    let regime: Regime = 'unreached';
    // a batch size counts as reaching the target when most of its seeds did
    if (hit.length * 2 > members.length) {
      if (!previous || previous.regime === 'unreached') regime = 'baseline';
      else {
        const e = scalingEfficiency(previous.batchSize, previous.steps.mean, batchSize, steps.mean);
        regime = e >= PERFECT ? 'perfect' : e <= MAXIMAL ? 'maximal' : 'diminishing';
      }
    }
    const entry = { batchSize, steps, samples, reached: hit.length, runs: members.length, regime };
    out.push(entry);
    if (regime !== 'unreached') previous = entry;
  }
  return out;
}

/** Steps under perfect scaling from the smallest batch size that reached the target. */
export function perfectScalingLine(points: readonly BatchReach[]): [number, number][] {
  const base = points.find((p) => p.regime !== 'unreached');
  if (!base) return [];
  return points.map((p) => [p.batchSize, (base.steps.mean * base.batchSize) / p.batchSize]);
}

/**
 * A target most runs can be judged against: the median over runs of their best
 * test accuracy, rounded down to a whole percent (or their lowest training
 * loss rounded up to two significant digits).
 */
export function defaultTarget(metric: TargetMetric, series: readonly Pick<EvalSeries, 'testAccuracy' | 'trainLoss'>[]): number | null {
  const bests = series
    .map((s) => (metric === 'testAccuracy' ? Math.max(...s.testAccuracy.filter(Number.isFinite)) : Math.min(...s.trainLoss.filter(Number.isFinite))))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (bests.length === 0) return null;
  // the median that more runs reach: the lower one for accuracy, the upper one for loss
  const median = bests[metric === 'testAccuracy' ? Math.floor((bests.length - 1) / 2) : Math.ceil((bests.length - 1) / 2)]!;
  if (metric === 'testAccuracy') return Math.floor(median * 100) / 100;
  const rounded = Number(median.toPrecision(2));
  // (a relative slack of 1e-9 keeps float noise such as 1 − 0.99 from rounding up a digit)
  return rounded >= median * (1 - 1e-9) ? rounded : Number((rounded + 10 ** (Math.floor(Math.log10(median)) - 1)).toPrecision(2));
}

/** Steps to target per batch size for a set of runs and their evaluations. */
export function reachOfRuns(
  runs: readonly { id: number; spec: { batch: { size: number } } }[],
  evals: readonly EvalSeries[],
  target: Target,
  samplesAt?: (runId: number) => ((step: number) => number | null) | undefined,
): BatchReach[] {
  const byRun = new Map(evals.map((e) => [e.runId, e]));
  return reachByBatchSize(runs.map((r) => runReach({ runId: r.id, batchSize: r.spec.batch.size }, byRun.get(r.id), target, samplesAt?.(r.id))));
}

export function describeTarget(target: Target): string {
  return target.metric === 'testAccuracy' ? `test accuracy ≥ ${(target.value * 100).toFixed(2)} %` : `train loss ≤ ${target.value}`;
}
