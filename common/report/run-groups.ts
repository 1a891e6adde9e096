/**
 * Groups an experiment's runs by their swept values other than the seed, with
 * mean ± std over seeds: the rows of a report's table and the points of its
 * headline chart. Pure, shared by the report file and the renderer.
 */
import type { EvalSeries, RunRecord } from '../api-contract';

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
  finalTestAccuracy: MeanStd;
  bestTestAccuracy: MeanStd;
  finalTrainAccuracy: MeanStd;
  gap: MeanStd;
  wallSec: MeanStd;
}

export function meanStd(values: number[]): MeanStd {
  const finite = values.filter(Number.isFinite);
  const n = finite.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

export function formatMeanStd(value: MeanStd, scale = 100, digits = 2): string {
  if (value.n === 0) return '—';
  const m = (value.mean * scale).toFixed(digits);
  return value.n > 1 ? `${m} ± ${(value.std * scale).toFixed(digits)}` : m;
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
      finalTestAccuracy: meanStd(members.map((r) => last(r)?.testAccuracy ?? NaN)),
      bestTestAccuracy: meanStd(members.map(best)),
      finalTrainAccuracy: meanStd(members.map((r) => last(r)?.trainAccuracy ?? NaN)),
      gap: meanStd(members.map((r) => last(r)?.gap ?? NaN)),
      wallSec: meanStd(members.map((r) => (r.summary ? r.summary.wallMs / 1000 : NaN))),
    };
  });
}
