/** The x-axis columns (epoch, samples seen, wall time) of a run at given steps, for charts. */
import type { Store } from './open-store';

export interface StepAxes {
  epoch: number[];
  samplesSeen: number[];
  wallMs: number[];
}

export function stepAxesAt(store: Store, runId: number, steps: readonly number[]): StepAxes {
  const rows = store.db
    .prepare('SELECT step, epoch, samples_seen, wall_ms FROM step_metrics WHERE run_id = ? AND step IN (SELECT value FROM json_each(?))')
    .raw()
    .all(runId, JSON.stringify(steps)) as [number, number, number, number][];
  const at = new Map(rows.map((r) => [r[0], r]));
  const pick = (i: 1 | 2 | 3) => steps.map((s) => at.get(s)?.[i] ?? Number.NaN);
  return { epoch: pick(1), samplesSeen: pick(2), wallMs: pick(3) };
}
