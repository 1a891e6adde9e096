/** The numbers a comparison table shows per run, from its summary and its evaluations. */
import type { EvalSeries, RunRecord } from '../../../common/api-contract';

export interface RunSummaryRow {
  runId: number;
  finalTestAccuracy: number | null;
  bestTestAccuracy: number | null;
  /** train accuracy − test accuracy at the last evaluation */
  generalizationGap: number | null;
  wallMs: number | null;
  steps: number | null;
  samplesPerSec: number | null;
}

function last<T>(list: readonly T[] | undefined): T | undefined {
  return list && list.length ? list[list.length - 1] : undefined;
}

export function summarizeRun(run: Pick<RunRecord, 'id' | 'summary' | 'progress'>, evals: EvalSeries | undefined): RunSummaryRow {
  const lastEval = run.summary?.lastEval ?? null;
  const tested = (evals?.testAccuracy ?? []).filter((v) => Number.isFinite(v));
  return {
    runId: run.id,
    finalTestAccuracy: lastEval?.testAccuracy ?? last(evals?.testAccuracy) ?? null,
    bestTestAccuracy: tested.length ? Math.max(...tested) : (lastEval?.testAccuracy ?? null),
    generalizationGap: lastEval?.gap ?? last(evals?.gap) ?? null,
    wallMs: run.summary?.wallMs ?? last(evals?.wallMs) ?? null,
    steps: run.summary?.steps ?? run.progress?.step ?? null,
    samplesPerSec: run.summary?.samplesPerSec ?? run.progress?.samplesPerSec ?? null,
  };
}
