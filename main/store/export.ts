/**
 * Export of a run, or of every run of an experiment, for analysis elsewhere.
 *
 * CSV, two files:
 * - `<name>-steps.csv`: one header, then one row per (run, step) in step order, with the step
 *   metrics and, at steps where an evaluation was taken, the evaluation (eval_* columns; empty
 *   elsewhere). An evaluation at a step without step metrics gets a row of its own.
 * - `<name>-layers.csv`: layer metrics in long format, one row per (run, layer, step), ordered
 *   by run, layer, step (the storage order, so exporting millions of rows sorts nothing).
 * Empty cells are missing values: not computed, or NaN in the run. ±Infinity is `inf`/`-inf`.
 *
 * JSON, one file: `{ format, version, exportedAtMs, experiments, runs }`, each run carrying its
 * record (config, backend, layers, status, summary) and its steps, evaluations, layers and
 * events as the record types of common/metrics.ts (NaN and missing values as null).
 *
 * Files are written in chunks, never held whole in memory, and appear only when complete.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalMetrics } from '../../common/metrics';
import type { ExperimentRecord } from './experiments';
import { writeFileInChunks } from './file-sink';
import { EVAL_COLUMNS, EVAL_FIELDS, layerColumnList, LAYER_COLUMNS, LAYER_FIELDS, readLayerRow, readStepRow, stepColumnList, STEP_COLUMNS, STEP_FIELDS } from './metric-columns';
import type { Store } from './open-store';
import type { RunRecord } from './runs';
import { StoreError, guard } from './store-error';

export type ExportTarget = { runId: number } | { runIds: number[] } | { experimentId: number };

/** Where export text goes: a file written in chunks (FileSink), or a string in memory. */
export interface TextSink {
  write(text: string): void;
}

export interface CsvExport {
  /** paths of the files written */
  steps: string;
  layers: string;
  /** data rows written (headers not counted) */
  stepRows: number;
  layerRows: number;
}

type Row = (number | null)[];

/** The runs a target covers, in id order, with their experiments. */
function resolveTarget(store: Store, target: ExportTarget): { name: string; experiments: ExperimentRecord[]; runs: RunRecord[] } {
  if ('runId' in target || 'runIds' in target) {
    const ids = 'runId' in target ? [target.runId] : target.runIds;
    const runs = ids.map((id) => {
      const run = store.runs.get(id);
      if (!run) throw new StoreError('not-found', store.path, `run ${id} does not exist in ${store.path}`);
      return run;
    });
    const experiments = [...new Set(runs.map((r) => r.experimentId))].map((id) => store.experiments.get(id)!);
    return { name: ids.length === 1 ? `run-${ids[0]}` : `runs-${ids.join('-')}`.slice(0, 80), experiments, runs };
  }
  const experiment = store.experiments.get(target.experimentId);
  if (!experiment) throw new StoreError('not-found', store.path, `experiment ${target.experimentId} does not exist in ${store.path}`);
  const runs = store.runs.list({ experimentId: experiment.id }).sort((a, b) => a.id - b.id);
  return { name: `experiment-${experiment.id}`, experiments: [experiment], runs };
}

function csvNumber(value: number | null): string {
  if (value === null || Number.isNaN(value)) return '';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return String(value);
}

function csvText(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const STEP_HEADER = ['run_id', 'step', ...STEP_FIELDS.map((f) => STEP_COLUMNS[f]), ...EVAL_FIELDS.map((f) => `eval_${EVAL_COLUMNS[f]}`)];
const LAYER_HEADER = ['run_id', 'layer', 'layer_name', 'step', ...LAYER_FIELDS.map((f) => LAYER_COLUMNS[f])];

function writeStepRows(store: Store, run: RunRecord, sink: TextSink): number {
  const evaluations = store.metrics.evaluations(run.id);
  const emptyStep = STEP_FIELDS.map(() => '').join(',');
  const emptyEval = EVAL_FIELDS.map(() => '').join(',');
  const evalCells = (e: EvalMetrics) => EVAL_FIELDS.map((f) => csvNumber(e[f])).join(',');
  let next = 0;
  let rows = 0;
  const evalOnly = (e: EvalMetrics) => {
    sink.write(`${run.id},${e.step},${emptyStep},${evalCells(e)}\n`);
    rows++;
  };
  const steps = store.db.prepare(`SELECT step, ${stepColumnList} FROM step_metrics WHERE run_id = ? ORDER BY step`).raw();
  for (const row of steps.iterate(run.id) as IterableIterator<Row>) {
    const step = row[0] as number;
    while (next < evaluations.length && evaluations[next]!.step < step) evalOnly(evaluations[next++]!);
    const metrics = readStepRow(row);
    const at = evaluations[next]?.step === step ? evaluations[next++]! : undefined;
    sink.write(`${run.id},${step},${STEP_FIELDS.map((f) => csvNumber(metrics[f])).join(',')},${at ? evalCells(at) : emptyEval}\n`);
    rows++;
  }
  while (next < evaluations.length) evalOnly(evaluations[next++]!);
  return rows;
}

function writeLayerRows(store: Store, run: RunRecord, sink: TextSink): number {
  const names = (run.layers ?? []).map((layer) => csvText(layer.name));
  const layers = store.db.prepare(`SELECT step, layer, ${layerColumnList} FROM layer_metrics WHERE run_id = ? ORDER BY layer, step`).raw();
  let rows = 0;
  for (const row of layers.iterate(run.id) as IterableIterator<Row>) {
    const m = readLayerRow(row);
    sink.write(`${run.id},${m.layer},${names[m.layer] ?? ''},${m.step},${LAYER_FIELDS.map((f) => csvNumber(m[f])).join(',')}\n`);
    rows++;
  }
  return rows;
}

/** Writes `<run-N|experiment-N>-steps.csv` and `-layers.csv` into `outDir` (created if missing). */
export function exportCsv(store: Store, target: ExportTarget, outDir: string): CsvExport {
  return guard(store.path, 'exporting CSV', () => {
    const { name, runs } = resolveTarget(store, target);
    mkdirSync(outDir, { recursive: true });
    const result: CsvExport = { steps: join(outDir, `${name}-steps.csv`), layers: join(outDir, `${name}-layers.csv`), stepRows: 0, layerRows: 0 };
    writeFileInChunks(result.steps, (sink) => {
      sink.write(`${STEP_HEADER.join(',')}\n`);
      for (const run of runs) result.stepRows += writeStepRows(store, run, sink);
    });
    writeFileInChunks(result.layers, (sink) => {
      sink.write(`${LAYER_HEADER.join(',')}\n`);
      for (const run of runs) result.layerRows += writeLayerRows(store, run, sink);
    });
    return result;
  });
}

/** Streams `[a,b,…]` of the rows `sql` selects for the run, each turned into a record by `read`. */
function writeJsonRows(store: Store, sink: TextSink, sql: string, runId: number, read: (row: Row) => object): void {
  sink.write('[');
  let first = true;
  for (const row of store.db.prepare(sql).raw().iterate(runId) as IterableIterator<Row>) {
    sink.write(`${first ? '' : ','}${JSON.stringify(read(row))}`);
    first = false;
  }
  sink.write(']');
}

function writeJsonDocument(store: Store, experiments: ExperimentRecord[], runs: RunRecord[], sink: TextSink): void {
  sink.write(`{"format":"batchscope-export","version":1,"exportedAtMs":${Date.now()},"experiments":${JSON.stringify(experiments)},"runs":[`);
  runs.forEach((run, r) => {
    // the run record's fields, then its metrics, in one object
    sink.write(`${r > 0 ? ',' : ''}${JSON.stringify(run).slice(0, -1)},"steps":`);
    writeJsonRows(store, sink, `SELECT step, ${stepColumnList} FROM step_metrics WHERE run_id = ? ORDER BY step`, run.id, readStepRow);
    sink.write(`,"evaluations":${JSON.stringify(store.metrics.evaluations(run.id))},"layers":`);
    writeJsonRows(store, sink, `SELECT step, layer, ${layerColumnList} FROM layer_metrics WHERE run_id = ? ORDER BY layer, step`, run.id, readLayerRow);
    sink.write(`,"events":${JSON.stringify(store.metrics.events(run.id))}}`);
  });
  sink.write(']}\n');
}

/** Writes the target as one JSON document to `outFile`; returns its path. */
export function exportJson(store: Store, target: ExportTarget, outFile: string): string {
  return guard(store.path, 'exporting JSON', () => {
    const { experiments, runs } = resolveTarget(store, target);
    writeFileInChunks(outFile, (sink) => writeJsonDocument(store, experiments, runs, sink));
    return outFile;
  });
}

/**
 * The target as one string, built in memory: the step CSV (`<name>-steps.csv`) or the JSON
 * document (`<name>.json`), for transports that answer with content rather than a file.
 */
export function exportContent(store: Store, target: ExportTarget, format: 'csv' | 'json'): { filename: string; mime: string; content: string } {
  return guard(store.path, `exporting ${format.toUpperCase()}`, () => {
    const { name, experiments, runs } = resolveTarget(store, target);
    const chunks: string[] = [];
    const sink: TextSink = { write: (text) => void chunks.push(text) };
    if (format === 'json') {
      writeJsonDocument(store, experiments, runs, sink);
      return { filename: `${name}.json`, mime: 'application/json', content: chunks.join('') };
    }
    sink.write(`${STEP_HEADER.join(',')}\n`);
    for (const run of runs) writeStepRows(store, run, sink);
    return { filename: `${name}-steps.csv`, mime: 'text/csv', content: chunks.join('') };
  });
}
