/** Store records → the contract's records (what crosses to the renderer). */
import type { ExperimentRecord, RunRecord } from '../../common/api-contract';
import type { Progress, RunStatus } from '../../common/metrics';
import { axisValueOf, pointValue, runLabel, sweepAxes } from '../../common/sweep';
import type { ExperimentRecord as StoredExperiment } from '../store/experiments';
import type { RunRecord as StoredRun } from '../store/runs';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The swept values of a run, read back from its experiment's sweep and its config. */
export function sweepPoint(experimentSpec: unknown, run: StoredRun): Record<string, string | number> {
  const sweep = (experimentSpec as { sweep?: Partial<Record<(typeof sweepAxes)[number], unknown[]>> } | null)?.sweep ?? {};
  const point: Record<string, string | number> = {};
  for (const key of sweepAxes) if (sweep[key]) point[key] = pointValue(key, axisValueOf(key, run.config));
  return point;
}

export function toRunRecord(run: StoredRun, experimentSpec: unknown, progress: Progress | null): RunRecord {
  const point = sweepPoint(experimentSpec, run);
  return {
    id: run.id,
    experimentId: run.experimentId,
    experimentName: run.experimentName,
    index: run.sweepIndex,
    label: runLabel(point, run.config.name),
    point,
    spec: run.config,
    status: run.status,
    error: run.error,
    backend: run.backend,
    gpuAdapter: run.gpuAdapter,
    layers: run.layers ?? [],
    createdAt: iso(run.createdAtMs)!,
    startedAt: iso(run.startedAtMs),
    endedAt: iso(run.endedAtMs),
    totalSteps: run.totalSteps,
    threads: run.threads,
    progress,
    summary: run.summary,
    worker: run.workerName !== null ? { name: run.workerName, host: run.workerHost ?? '' } : null,
  };
}

export function toExperimentRecord(experiment: StoredExperiment, runs: StoredRun[]): ExperimentRecord {
  const statusCounts: Partial<Record<RunStatus, number>> = {};
  for (const r of runs) statusCounts[r.status] = (statusCounts[r.status] ?? 0) + 1;
  return {
    id: experiment.id,
    name: experiment.name,
    notes: experiment.notes,
    tags: experiment.tags,
    spec: experiment.spec,
    createdAt: iso(experiment.createdAtMs)!,
    runCount: experiment.runCount,
    statusCounts,
  };
}
