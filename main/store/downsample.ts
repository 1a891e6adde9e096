/**
 * Downsampling a metric series to at most N points, in SQL.
 *
 * The step range [first, last] of the series (its first and last non-NULL points) is cut into
 * B = ⌊(N − 2) / 2⌋ buckets of equal step width; each bucket keeps its minimum and its maximum
 * point (by value, at their real steps), and the first and last points are always kept. So a
 * series never has more than 2 + 2B ≤ N points, spikes (a loss blowing up, a curvature outlier)
 * survive at their true height, and series of runs with the same step range share bucket edges,
 * which keeps compared curves aligned. This is the M4 idea (Jugel et al., VLDB 2014) less the
 * per-bucket first/last points; LTTB would need the points in order in JS, while this runs in
 * SQLite: each bucket's min and max are found by a correlated aggregate over a primary-key
 * range, so nothing is sorted and only the ≤ N picked rows ever reach JavaScript.
 *
 * A series holds only points whose value is not NULL (not computed at that step, or NaN when
 * written); the raw-row queries keep those.
 */
import type { MetricTable } from './metric-columns';

export const DEFAULT_MAX_POINTS = 1000;

export function bucketCount(maxPoints: number): number {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new RangeError(`maxPoints must be an integer ≥ 2 (the first and last points are always kept), got ${maxPoints}`);
  return Math.floor((maxPoints - 2) / 2);
}

/** The series key with its columns qualified by `alias`, e.g. `t.run_id = :run AND t.layer = :layer`. */
function keyOf(metric: MetricTable, alias: string): string {
  return metric.key.map((column) => `${alias}.${column} = ${column === 'run_id' ? ':run' : ':layer'}`).join(' AND ');
}

/** What the series' rows carry as their epoch: their own column, or the step row's. */
function epochSource(metric: MetricTable): { join: string; epoch: string } {
  return metric.table === 'layer_metrics'
    ? { join: 'LEFT JOIN step_metrics s ON s.run_id = t.run_id AND s.step = t.step', epoch: 's.epoch' }
    : { join: '', epoch: 't.epoch' };
}

/** `SELECT lo, hi`: the first and last steps in [:from, :to] where the value is not NULL. */
export function endsSql(metric: MetricTable): string {
  const { table, column } = metric;
  const key = keyOf(metric, 't');
  const range = `${key} AND t.step BETWEEN :from AND :to AND t.${column} IS NOT NULL`;
  return `SELECT (SELECT t.step FROM ${table} t WHERE ${range} ORDER BY t.step LIMIT 1) AS lo,
                 (SELECT t.step FROM ${table} t WHERE ${range} ORDER BY t.step DESC LIMIT 1) AS hi`;
}

/** Every non-NULL point in [:from, :to], as `step, value, epoch`. */
export function allPointsSql(metric: MetricTable): string {
  const { table, column } = metric;
  const { join, epoch } = epochSource(metric);
  return `SELECT t.step, t.${column}, ${epoch} FROM ${table} t ${join}
          WHERE ${keyOf(metric, 't')} AND t.step BETWEEN :lo AND :hi AND t.${column} IS NOT NULL
          ORDER BY t.step`;
}

/** The downsampled points between :lo and :hi (the series' ends) with :buckets buckets, as `step, value, epoch`. */
export function downsampledSql(metric: MetricTable): string {
  const { table, column } = metric;
  const { join, epoch } = epochSource(metric);
  const inBucket = `${keyOf(metric, 'b')} AND b.step >= a AND b.step < z`;
  // CROSS JOIN keeps `picked` (≤ N steps) the outer loop: left to itself the planner may scan
  // the run's rows and probe `picked` for each, which is quadratic.
  return `
    WITH RECURSIVE
      buckets(i, a, z) AS (
        SELECT 0, :lo, :lo + (:hi - :lo + 1.0) / :buckets WHERE :buckets > 0
        UNION ALL
        SELECT i + 1, :lo + (i + 1) * (:hi - :lo + 1.0) / :buckets, :lo + (i + 2) * (:hi - :lo + 1.0) / :buckets
        FROM buckets WHERE i + 1 < :buckets),
      picked(step) AS (
        SELECT :lo UNION SELECT :hi
        UNION SELECT (SELECT step FROM (SELECT b.step, min(b.${column}) FROM ${table} b WHERE ${inBucket})) FROM buckets
        UNION SELECT (SELECT step FROM (SELECT b.step, max(b.${column}) FROM ${table} b WHERE ${inBucket})) FROM buckets)
    SELECT t.step, t.${column}, ${epoch}
    FROM picked CROSS JOIN ${table} t ON ${keyOf(metric, 't')} AND t.step = picked.step ${join}
    WHERE t.${column} IS NOT NULL
    ORDER BY t.step`;
}
