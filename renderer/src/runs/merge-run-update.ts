/**
 * Applying a live run-updated event to the run we hold. Events and list
 * answers can cross on the wire, so an update never takes a finished run back
 * to running, nor a running one back to an earlier step.
 */
import type { ApiEvent, RunRecord } from '../../../common/api-contract';
import { activeStatuses } from './run-progress';

export type RunUpdate = Extract<ApiEvent, { type: 'run-updated' }>['run'];

export function mergeRunUpdate(known: RunRecord, update: RunUpdate): RunRecord {
  if (!activeStatuses.has(known.status) && activeStatuses.has(update.status)) return known;
  if (known.status === 'running' && update.status === 'running' && (update.progress?.step ?? 0) < (known.progress?.step ?? 0)) return known;
  return {
    ...known,
    status: update.status,
    progress: update.progress ?? known.progress,
    error: update.error,
    summary: update.summary ?? known.summary,
    totalSteps: update.progress?.totalSteps ?? known.totalSteps,
    // known once the worker started: the first events of a run may come before it
    threads: update.threads ?? known.threads,
  };
}
