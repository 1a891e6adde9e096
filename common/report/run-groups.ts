/**
 * Groups an experiment's runs by their swept values other than the seed, with
 * the mean and its interval over seeds (95 % t from three seeds, min–max from
 * two): the rows of a report's table and the points of its headline chart.
 * Pure, shared by the report file and the renderer.
 */
import type { EvalSeries, RunRecord } from '../api-contract';
import { interval, type Interval } from '../stats/interval';

export interface MeanStd {
  mean: number;
  std: number;
  n: number;
}

export interface RunGroup {
  key: string;
  label: string;
  point: Record<string, string | number>;
  runIds: number[];
  statuses: string[];
  finalTestAccuracy: Interval;
  bestTestAccuracy: Interval;
  finalTrainAccuracy: Interval;
  gap: Interval;
  wallSec: Interval;
  /** the gradient noise scale B_simple at the end of each run (RunSummary.noiseScale), over seeds */
  noiseScale: Interval;
}

export function meanStd(values: number[]): MeanStd {
  const finite = values.filter(Number.isFinite);
  const n = finite.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

export function groupRuns(runs: RunRecord[], evals: EvalSeries[]): RunGroup[] {
  const byRun = new Map(evals.map((e) => [e.runId, e]));
  const groups = new Map<string, RunRecord[]>();
  for (const run of runs) {
    const { seed: _seed, ...rest } = run.point;
    const key = JSON.stringify(rest);
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.entries()].map(([key, members]) => {
    const { seed: _seed, ...point } = members[0]!.point;
    const last = (r: RunRecord) => r.summary?.lastEval ?? null;
    const best = (r: RunRecord) => Math.max(...(byRun.get(r.id)?.testAccuracy ?? [NaN]));
    return {
      key,
      label: Object.keys(point).length ? members[0]!.label.replace(/ · seed=\d+/, '') : members[0]!.spec.name,
      point,
      runIds: members.map((r) => r.id),
      statuses: members.map((r) => r.status),
      finalTestAccuracy: interval(members.map((r) => last(r)?.testAccuracy ?? NaN)),
      bestTestAccuracy: interval(members.map(best)),
      finalTrainAccuracy: interval(members.map((r) => last(r)?.trainAccuracy ?? NaN)),
      gap: interval(members.map((r) => last(r)?.gap ?? NaN)),
      wallSec: interval(members.map((r) => (r.summary ? r.summary.wallMs / 1000 : NaN))),
      noiseScale: interval(members.map((r) => r.summary?.noiseScale ?? NaN)),
    };
  });
}
