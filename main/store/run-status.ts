/**
 * The run lifecycle. A run is a record of one attempt: once it has ended (any status but
 * queued or running) it never changes status again; running it again means a new run.
 *
 *   queued ──▶ running ──▶ completed | diverged | failed | cancelled | interrupted
 *     └──────▶ cancelled | failed   (cancelled before it started, or could not start)
 *
 * `interrupted` is only set by markInterruptedRuns(): the run was running when its worker
 * disappeared (the app or the machine stopped).
 */
import type { RunStatus } from '../../common/metrics';

export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'completed', 'failed', 'diverged', 'cancelled', 'interrupted'];

export const RUN_STATUS_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  queued: ['running', 'cancelled', 'failed'],
  running: ['completed', 'diverged', 'failed', 'cancelled', 'interrupted'],
  completed: [],
  failed: [],
  diverged: [],
  cancelled: [],
  interrupted: [],
};

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return RUN_STATUS_TRANSITIONS[from].includes(to);
}

/** The statuses a run may be in for it to move to `to`. */
export function statusesLeadingTo(to: RunStatus): RunStatus[] {
  return RUN_STATUSES.filter((from) => canTransition(from, to));
}

export function isEnded(status: RunStatus): boolean {
  return status !== 'queued' && status !== 'running';
}

export function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === 'string' && (RUN_STATUSES as readonly string[]).includes(value);
}
