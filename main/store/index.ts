/** The SQLite run store: open a file, then use store.experiments, store.runs, store.metrics and a MetricWriter. */
export { openStore, type OpenStoreOptions, type Store } from './open-store';
export { StoreError, type StoreErrorCode } from './store-error';
export type { ExperimentFilter, ExperimentPatch, ExperimentRecord, ExperimentStore, NewExperiment } from './experiments';
export type { InterruptOptions, NewRun, RunFilter, RunRecord, RunStatusChange, RunStore } from './runs';
export { MetricWriter, type MetricWriterOptions } from './metric-writer';
export type { LayerQuery, MetricQueries, Series, SeriesOptions, StepRange } from './metric-queries';
export { EVAL_FIELDS, LAYER_FIELDS, STEP_FIELDS, type EvalField, type LayerField, type MetricRef, type StepField } from './metric-columns';
export { DEFAULT_MAX_POINTS } from './downsample';
export { RUN_STATUSES, RUN_STATUS_TRANSITIONS, canTransition, isEnded, isRunStatus } from './run-status';
export { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations';
export { exportCsv, exportJson, type ExportTarget, type CsvExport } from './export';
