/**
 * How the metric records of common/metrics.ts map onto columns. Field names come from the
 * record types, so a field added there fails to compile here until it has a column.
 *
 * SQLite stores NaN as NULL. Reading back, NULL becomes NaN for fields typed `number` and
 * stays null for fields typed `number | null` (not computed at that step).
 */
import type { EvalMetrics, LayerMetrics, StepMetrics } from '../../common/metrics';

export type StepField = Exclude<keyof StepMetrics, 'step'>;
export type LayerField = Exclude<keyof LayerMetrics, 'step' | 'layer'>;
export type EvalField = Exclude<keyof EvalMetrics, 'step'>;

export const STEP_COLUMNS: Readonly<Record<StepField, string>> = {
  epoch: 'epoch',
  loss: 'loss',
  accuracy: 'accuracy',
  batchSize: 'batch_size',
  samplesSeen: 'samples_seen',
  discarded: 'discarded',
  lr: 'lr',
  lossUpdate: 'loss_update',
  noiseScale: 'noise_scale',
  sharpness: 'sharpness',
  stepMs: 'step_ms',
  wallMs: 'wall_ms',
};

export const LAYER_COLUMNS: Readonly<Record<LayerField, string>> = {
  gradNorm: 'grad_norm',
  weightNorm: 'weight_norm',
  updateNorm: 'update_norm',
  effectiveLr: 'effective_lr',
  lossUpdateShare: 'loss_update_share',
  curvature: 'curvature',
  curvatureError: 'curvature_error',
  noiseScale: 'noise_scale',
  sharpness: 'sharpness',
  distanceFromInit: 'distance_from_init',
  updateCosine: 'update_cosine',
};

export const EVAL_COLUMNS: Readonly<Record<EvalField, string>> = {
  epoch: 'epoch',
  trainLoss: 'train_loss',
  trainAccuracy: 'train_accuracy',
  testLoss: 'test_loss',
  testAccuracy: 'test_accuracy',
  gap: 'gap',
  wallMs: 'wall_ms',
};

export const STEP_FIELDS = Object.keys(STEP_COLUMNS) as StepField[];
export const LAYER_FIELDS = Object.keys(LAYER_COLUMNS) as LayerField[];
export const EVAL_FIELDS = Object.keys(EVAL_COLUMNS) as EvalField[];

/** Fields whose null means "not computed at this step" rather than NaN. */
const NULLABLE_FIELDS: ReadonlySet<string> = new Set<StepField | LayerField>([
  'lossUpdate',
  'lossUpdateShare',
  'curvature',
  'curvatureError',
  'noiseScale',
  'sharpness',
  'distanceFromInit',
  'updateCosine',
]);

/** One metric of one run, as a series over steps. */
export type MetricRef =
  | { source: 'step'; field: StepField }
  | { source: 'eval'; field: EvalField }
  | { source: 'layer'; field: LayerField; layer: number };

export interface MetricTable {
  table: 'step_metrics' | 'evaluations' | 'layer_metrics';
  column: string;
  /** the key columns that pick the series' rows, bound as :run and :layer */
  key: readonly ('run_id' | 'layer')[];
}

export function metricTable(metric: MetricRef): MetricTable {
  switch (metric.source) {
    case 'step':
      return { table: 'step_metrics', column: columnOf(STEP_COLUMNS, metric.field), key: ['run_id'] };
    case 'eval':
      return { table: 'evaluations', column: columnOf(EVAL_COLUMNS, metric.field), key: ['run_id'] };
    case 'layer':
      return { table: 'layer_metrics', column: columnOf(LAYER_COLUMNS, metric.field), key: ['run_id', 'layer'] };
  }
}

/** Field names reach SQL text, so they are checked against the column maps, never passed through. */
function columnOf<F extends string>(columns: Readonly<Record<F, string>>, field: F): string {
  if (!Object.hasOwn(columns, field)) throw new RangeError(`unknown metric field '${field}'; known: ${Object.keys(columns).join(', ')}`);
  return columns[field];
}

/** NULL → NaN for fields typed `number`, kept for `number | null` ones. */
export function fromColumn(field: string, value: number | null): number | null {
  return value === null && !NULLABLE_FIELDS.has(field) ? Number.NaN : value;
}

function readRecord<T>(fields: readonly string[], row: readonly (number | null)[], leading: Record<string, number>, offset: number): T {
  const record: Record<string, number | null> = { ...leading };
  fields.forEach((field, i) => (record[field] = fromColumn(field, row[offset + i] ?? null)));
  return record as T;
}

/** Rows selected as `step, <STEP_FIELDS columns>`. */
export function readStepRow(row: readonly (number | null)[]): StepMetrics {
  return readRecord<StepMetrics>(STEP_FIELDS, row, { step: row[0] as number }, 1);
}

/** Rows selected as `step, <EVAL_FIELDS columns>`. */
export function readEvalRow(row: readonly (number | null)[]): EvalMetrics {
  return readRecord<EvalMetrics>(EVAL_FIELDS, row, { step: row[0] as number }, 1);
}

/** Rows selected as `step, layer, <LAYER_FIELDS columns>`. */
export function readLayerRow(row: readonly (number | null)[]): LayerMetrics {
  return readRecord<LayerMetrics>(LAYER_FIELDS, row, { step: row[0] as number, layer: row[1] as number }, 2);
}

export const stepColumnList = STEP_FIELDS.map((f) => STEP_COLUMNS[f]).join(', ');
export const evalColumnList = EVAL_FIELDS.map((f) => EVAL_COLUMNS[f]).join(', ');
export const layerColumnList = LAYER_FIELDS.map((f) => LAYER_COLUMNS[f]).join(', ');
