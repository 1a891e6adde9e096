/** Reading metrics back: raw records of a run, and (downsampled) series for charts. */
import type { EvalMetrics, LayerMetrics, RunEvent, StepMetrics } from '../../common/metrics';
import { allPointsSql, bucketCount, DEFAULT_MAX_POINTS, downsampledSql, endsSql } from './downsample';
import {
  evalColumnList,
  layerColumnList,
  metricTable,
  readEvalRow,
  readLayerRow,
  readStepRow,
  stepColumnList,
  type LayerField,
  type MetricRef,
} from './metric-columns';
import type { StoreContext } from './store-context';

export interface StepRange {
  fromStep?: number;
  toStep?: number;
}

export interface SeriesOptions extends StepRange {
  /** at most this many points per series, first and last included; default 1000 */
  maxPoints?: number;
}

/** One metric of one run over steps; only steps where it has a value (see downsample.ts). */
export interface Series {
  runId: number;
  metric: MetricRef;
  steps: number[];
  values: number[];
  /** the epoch at each point (null for a layer point with no step row) */
  epochs: (number | null)[];
}

export interface LayerQuery extends StepRange {
  /** default: every layer the run has metrics for */
  layers?: readonly number[];
}

export interface MetricQueries {
  stepMetrics(runId: number, range?: StepRange): StepMetrics[];
  evaluations(runId: number, range?: StepRange): EvalMetrics[];
  /** ordered by layer, then step */
  layerMetrics(runId: number, query?: LayerQuery): LayerMetrics[];
  events(runId: number): RunEvent[];
  /** the layer indexes the run has metrics for, ascending */
  layerIndexes(runId: number): number[];
  series(runId: number, metric: MetricRef, options?: SeriesOptions): Series;
  /** the same metric for each run, in the order given, each with its own step range and point budget */
  seriesForRuns(runIds: readonly number[], metric: MetricRef, options?: SeriesOptions): Series[];
  /** one series per (layer, field), layers outer */
  layerSeries(runId: number, fields: readonly LayerField[], query?: LayerQuery & SeriesOptions): Series[];
}

const ALL_STEPS = { from: 0, to: Number.MAX_SAFE_INTEGER };

function stepBounds(range: StepRange = {}): { from: number; to: number } {
  return { from: range.fromStep ?? ALL_STEPS.from, to: range.toStep ?? ALL_STEPS.to };
}

type Row = (number | null)[];

export function createMetricQueries(ctx: StoreContext): MetricQueries {
  const raw = (sql: string) => ctx.statement(sql).raw();

  const layerIndexes = (runId: number): number[] =>
    // a skip scan over the (run_id, layer, step) key: one seek per layer, not a pass over every row
    ctx
      .statement(
        `WITH RECURSIVE l(layer) AS (
           SELECT min(layer) FROM layer_metrics WHERE run_id = :run
           UNION ALL
           SELECT (SELECT min(layer) FROM layer_metrics WHERE run_id = :run AND layer > l.layer) FROM l WHERE l.layer IS NOT NULL)
         SELECT layer FROM l WHERE layer IS NOT NULL`,
      )
      .pluck()
      .all({ run: runId }) as number[];

  const series = (runId: number, metric: MetricRef, options: SeriesOptions = {}): Series => {
    const table = metricTable(metric);
    const buckets = bucketCount(options.maxPoints ?? DEFAULT_MAX_POINTS);
    const key = { run: runId, layer: metric.source === 'layer' ? metric.layer : null };
    const result: Series = { runId, metric, steps: [], values: [], epochs: [] };
    const ends = ctx.statement(endsSql(table)).get({ ...key, ...stepBounds(options) }) as { lo: number | null; hi: number | null };
    if (ends.lo === null || ends.hi === null) return result;
    const maxPoints = 2 + 2 * buckets;
    const sql = ends.hi - ends.lo + 1 <= maxPoints ? allPointsSql(table) : downsampledSql(table);
    for (const [step, value, epoch] of raw(sql).all({ ...key, lo: ends.lo, hi: ends.hi, buckets }) as Row[]) {
      result.steps.push(step!);
      result.values.push(value!);
      result.epochs.push(epoch ?? null);
    }
    return result;
  };

  return {
    stepMetrics: (runId, range) =>
      ctx.guard(`reading the step metrics of run ${runId}`, () =>
        (raw(`SELECT step, ${stepColumnList} FROM step_metrics WHERE run_id = :run AND step BETWEEN :from AND :to ORDER BY step`).all({
          run: runId,
          ...stepBounds(range),
        }) as Row[]).map(readStepRow),
      ),

    evaluations: (runId, range) =>
      ctx.guard(`reading the evaluations of run ${runId}`, () =>
        (raw(`SELECT step, ${evalColumnList} FROM evaluations WHERE run_id = :run AND step BETWEEN :from AND :to ORDER BY step`).all({
          run: runId,
          ...stepBounds(range),
        }) as Row[]).map(readEvalRow),
      ),

    layerMetrics: (runId, query = {}) =>
      ctx.guard(`reading the layer metrics of run ${runId}`, () => {
        const sql = `SELECT step, layer, ${layerColumnList} FROM layer_metrics
                     WHERE run_id = :run AND layer = :layer AND step BETWEEN :from AND :to ORDER BY step`;
        const bounds = stepBounds(query);
        return (query.layers ?? layerIndexes(runId)).flatMap((layer) =>
          (raw(sql).all({ run: runId, layer, ...bounds }) as Row[]).map(readLayerRow),
        );
      }),

    events: (runId) =>
      ctx.guard(`reading the events of run ${runId}`, () =>
        (ctx.statement('SELECT step, kind, detail FROM run_events WHERE run_id = ? ORDER BY step, id').all(runId) as {
          step: number;
          kind: RunEvent['kind'];
          detail: string;
        }[]).map((row) => ({ step: row.step, kind: row.kind, detail: JSON.parse(row.detail) as Record<string, unknown> })),
      ),

    layerIndexes: (runId) => ctx.guard(`reading the layers of run ${runId}`, () => layerIndexes(runId)),

    series: (runId, metric, options) => ctx.guard(`reading a metric series of run ${runId}`, () => series(runId, metric, options)),

    seriesForRuns: (runIds, metric, options) =>
      ctx.guard(`reading a metric series of runs ${runIds.join(', ')}`, () => runIds.map((runId) => series(runId, metric, options))),

    layerSeries: (runId, fields, query = {}) =>
      ctx.guard(`reading the layer series of run ${runId}`, () =>
        (query.layers ?? layerIndexes(runId)).flatMap((layer) => fields.map((field) => series(runId, { source: 'layer', field, layer }, query))),
      ),
  };
}
