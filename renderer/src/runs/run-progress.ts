/** What a run row says about progress, speed and outcome. */
import type { RunRecord } from '../../../common/api-contract';

export const activeStatuses = new Set<RunRecord['status']>(['queued', 'running']);

export function progressFraction(run: Pick<RunRecord, 'status' | 'progress' | 'totalSteps'>): number {
  if (run.status === 'completed') return 1;
  const total = run.progress?.totalSteps ?? run.totalSteps;
  if (!run.progress || !total) return 0;
  return run.progress.step / total;
}

export function samplesPerSec(run: Pick<RunRecord, 'progress' | 'summary'>): number | null {
  return run.summary?.samplesPerSec ?? run.progress?.samplesPerSec ?? null;
}

export function finalTestAccuracy(run: Pick<RunRecord, 'summary'>): number | null {
  return run.summary?.lastEval?.testAccuracy ?? null;
}

/** "340 / 920" steps: live progress while running, the summary once finished (stored runs carry no progress). */
export function stepsDone(run: Pick<RunRecord, 'progress' | 'summary' | 'totalSteps'>): { step: number | null; total: number | null } {
  const step = run.progress?.step ?? run.summary?.steps ?? null;
  const total = run.progress?.totalSteps ?? run.totalSteps ?? run.summary?.steps ?? null;
  return { step, total };
}
