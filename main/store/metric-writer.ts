/**
 * Buffers metric records pushed from the hot path and writes them in one transaction per flush.
 *
 * A flush happens when `flushRows` rows are buffered (inside that push), `flushEveryMs` after
 * the first row of a batch arrived (an unref'd timer, so it never keeps the process alive), on
 * `flush()` and on `close()`. `flush()` returns once the transaction has committed: rows it
 * reports are on disk as far as SQLite guarantees (WAL, synchronous=NORMAL: they survive a
 * crash of the process; a power loss may lose the last commits, never corrupt the file).
 *
 * A failed flush rolls back and keeps every buffered row, so nothing is lost and the next flush
 * retries. Explicit flush()/close() and a push that triggers a flush throw the StoreError;
 * timer-driven flushes hand it to `onError`. While flushes keep failing the buffer grows up to
 * `maxBufferedRows`, after which push throws the last error: the caller must slow down or stop.
 *
 * Records are kept by reference until flushed; do not mutate them after pushing.
 */
import type { EvalMetrics, LayerMetrics, RunEvent, StepMetrics } from '../../common/metrics';
import { BatchInsert } from './batch-insert';
import { EVAL_COLUMNS, EVAL_FIELDS, LAYER_COLUMNS, LAYER_FIELDS, STEP_COLUMNS, STEP_FIELDS } from './metric-columns';
import type { StoreContext } from './store-context';
import { StoreError, toStoreError } from './store-error';

export interface MetricWriterOptions {
  /** flush as soon as this many rows are buffered; default 10 000 */
  flushRows?: number;
  /** flush at most this long after a row was pushed; default 500 ms */
  flushEveryMs?: number;
  /** when this many rows are buffered because flushes fail, push throws; default 50 × flushRows */
  maxBufferedRows?: number;
  /** receives failures of timer-driven flushes, and rows dropped because their run was deleted */
  onError?: (error: StoreError) => void;
}

function checkStep(step: number, what: string): void {
  if (!Number.isInteger(step) || step < 0) throw new RangeError(`${what}: step must be a non-negative integer, got ${step}`);
}

export class MetricWriter {
  private readonly flushRows: number;
  private readonly flushEveryMs: number;
  private readonly maxBufferedRows: number;
  private readonly onError: ((error: StoreError) => void) | undefined;

  private readonly stepInsert: BatchInsert;
  private readonly layerInsert: BatchInsert;
  private readonly evalInsert: BatchInsert;
  private readonly eventInsert: BatchInsert;
  private readonly writeAll: { immediate(): void };

  private stepRuns: number[] = [];
  private steps: StepMetrics[] = [];
  /** run id → layer index → that layer's records in push order; written grouped so inserts stay local in the (run_id, layer, step) key */
  private layers = new Map<number, LayerMetrics[][]>();
  private evalRuns: number[] = [];
  private evals: EvalMetrics[] = [];
  private eventRuns: number[] = [];
  /** with detail already serialized, so a bad detail fails its push, not a whole flush */
  private events: { step: number; kind: string; detail: string; seq: number | null }[] = [];
  private buffered = 0;

  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private failure: StoreError | undefined;

  constructor(
    private readonly ctx: StoreContext,
    options: MetricWriterOptions = {},
    private readonly onClose: (writer: MetricWriter) => void = () => {},
  ) {
    this.flushRows = Math.max(1, options.flushRows ?? 10_000);
    this.flushEveryMs = Math.max(1, options.flushEveryMs ?? 500);
    this.maxBufferedRows = Math.max(this.flushRows, options.maxBufferedRows ?? 50 * this.flushRows);
    this.onError = options.onError;
    this.stepInsert = new BatchInsert(ctx, 'step_metrics', ['run_id', 'step', ...STEP_FIELDS.map((f) => STEP_COLUMNS[f])]);
    this.layerInsert = new BatchInsert(ctx, 'layer_metrics', ['run_id', 'layer', 'step', ...LAYER_FIELDS.map((f) => LAYER_COLUMNS[f])]);
    this.evalInsert = new BatchInsert(ctx, 'evaluations', ['run_id', 'step', ...EVAL_FIELDS.map((f) => EVAL_COLUMNS[f])]);
    this.eventInsert = new BatchInsert(ctx, 'run_events', ['run_id', 'step', 'kind', 'detail', 'seq'], 'IGNORE');
    this.writeAll = ctx.db.transaction(() => this.writeBuffered());
  }

  /** rows waiting for the next flush */
  get bufferedRows(): number {
    return this.buffered;
  }

  /** the error of the last flush, if it failed; cleared by a successful one */
  get lastError(): StoreError | undefined {
    return this.failure;
  }

  pushStep(runId: number, metrics: StepMetrics): void {
    checkStep(metrics.step, `step metrics of run ${runId}`);
    this.admit(1);
    this.stepRuns.push(runId);
    this.steps.push(metrics);
    this.added(1);
  }

  /** the per-layer records of one or more steps */
  pushLayers(runId: number, metrics: readonly LayerMetrics[]): void {
    for (const m of metrics) {
      checkStep(m.step, `layer metrics of run ${runId}`);
      if (!Number.isInteger(m.layer) || m.layer < 0) throw new RangeError(`layer metrics of run ${runId}: layer must be a non-negative integer, got ${m.layer}`);
    }
    this.admit(metrics.length);
    let byLayer = this.layers.get(runId);
    if (!byLayer) this.layers.set(runId, (byLayer = []));
    for (const m of metrics) (byLayer[m.layer] ??= []).push(m);
    this.added(metrics.length);
  }

  pushEval(runId: number, metrics: EvalMetrics): void {
    checkStep(metrics.step, `evaluation of run ${runId}`);
    this.admit(1);
    this.evalRuns.push(runId);
    this.evals.push(metrics);
    this.added(1);
  }

  /** `seq`: the event's number within its run, for events that may arrive twice (remote runs); a repeat is ignored */
  pushEvent(runId: number, event: RunEvent, seq?: number): void {
    checkStep(event.step, `event of run ${runId}`);
    if (seq !== undefined && (!Number.isInteger(seq) || seq < 0)) throw new RangeError(`event of run ${runId}: seq must be a non-negative integer, got ${seq}`);
    const detail = JSON.stringify(event.detail ?? {});
    this.admit(1);
    this.eventRuns.push(runId);
    this.events.push({ step: event.step, kind: event.kind, detail, seq: seq ?? null });
    this.added(1);
  }

  /**
   * Writes everything buffered in one transaction and returns once it has committed, with the
   * number of rows written. Throws a StoreError (keeping the rows) if it could not.
   */
  flush(): number {
    this.cancelTimer();
    if (this.buffered === 0) return 0;
    const rows = this.buffered;
    try {
      this.commit();
    } catch (error) {
      const failure = toStoreError(error, this.ctx.file, `saving ${rows} metric rows`);
      if (failure.sqliteCode !== 'SQLITE_CONSTRAINT_FOREIGNKEY' || !this.dropRowsOfMissingRuns()) {
        this.failure = failure;
        throw failure;
      }
      return this.flush();
    }
    this.failure = undefined;
    this.clear();
    return rows;
  }

  /** Flushes, then refuses further pushes. If the flush fails the writer stays open, rows kept, so close() can be retried. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.onClose(this);
  }

  /** Closes without saving what is buffered; returns how many rows were dropped. */
  discard(): number {
    const dropped = this.buffered;
    this.cancelTimer();
    this.clear();
    this.closed = true;
    this.onClose(this);
    return dropped;
  }

  private admit(rows: number): void {
    if (this.closed) throw new StoreError('closed', this.ctx.file, `the metric writer for ${this.ctx.file} was closed; open a new one`);
    if (this.failure && this.buffered + rows > this.maxBufferedRows) throw this.failure;
  }

  private added(rows: number): void {
    this.buffered += rows;
    if (this.buffered >= this.flushRows && !this.failure) this.flush();
    else if (this.timer === undefined) this.armTimer();
  }

  private armTimer(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.flush();
      } catch (error) {
        this.report(error instanceof StoreError ? error : toStoreError(error, this.ctx.file, 'saving metric rows'));
        if (this.buffered > 0 && !this.closed) this.armTimer();
      }
    }, this.flushEveryMs);
    this.timer.unref();
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private report(error: StoreError): void {
    this.onError?.(error);
  }

  private commit(): void {
    try {
      this.writeAll.immediate();
    } finally {
      for (const insert of [this.stepInsert, this.layerInsert, this.evalInsert, this.eventInsert]) insert.reset();
    }
  }

  private writeBuffered(): void {
    const s = this.stepInsert;
    for (let i = 0; i < this.steps.length; i++) {
      const m = this.steps[i]!;
      const a = s.args;
      const o = s.offset;
      a[o] = this.stepRuns[i]!;
      a[o + 1] = m.step;
      a[o + 2] = m.epoch;
      a[o + 3] = m.loss;
      a[o + 4] = m.accuracy;
      a[o + 5] = m.batchSize;
      a[o + 6] = m.samplesSeen;
      a[o + 7] = m.discarded;
      a[o + 8] = m.lr;
      a[o + 9] = m.lossUpdate ?? null;
      a[o + 10] = m.noiseScale ?? null;
      a[o + 11] = m.sharpness ?? null;
      a[o + 12] = m.stepMs;
      a[o + 13] = m.wallMs;
      s.commitRow();
    }
    s.finish();

    const l = this.layerInsert;
    for (const [runId, byLayer] of this.layers) {
      for (const records of byLayer) {
        if (!records) continue;
        for (const m of records) {
          const a = l.args;
          const o = l.offset;
          a[o] = runId;
          a[o + 1] = m.layer;
          a[o + 2] = m.step;
          a[o + 3] = m.gradNorm;
          a[o + 4] = m.weightNorm;
          a[o + 5] = m.updateNorm;
          a[o + 6] = m.effectiveLr;
          a[o + 7] = m.lossUpdateShare ?? null;
          a[o + 8] = m.curvature ?? null;
          a[o + 9] = m.curvatureError ?? null;
          a[o + 10] = m.noiseScale ?? null;
          a[o + 11] = m.sharpness ?? null;
          a[o + 12] = m.distanceFromInit ?? null;
          a[o + 13] = m.updateCosine ?? null;
          l.commitRow();
        }
      }
    }
    l.finish();

    const e = this.evalInsert;
    for (let i = 0; i < this.evals.length; i++) {
      const m = this.evals[i]!;
      const a = e.args;
      const o = e.offset;
      a[o] = this.evalRuns[i]!;
      a[o + 1] = m.step;
      a[o + 2] = m.epoch;
      a[o + 3] = m.trainLoss;
      a[o + 4] = m.trainAccuracy;
      a[o + 5] = m.testLoss;
      a[o + 6] = m.testAccuracy;
      a[o + 7] = m.gap;
      a[o + 8] = m.wallMs;
      e.commitRow();
    }
    e.finish();

    const v = this.eventInsert;
    for (let i = 0; i < this.events.length; i++) {
      const event = this.events[i]!;
      const o = v.offset;
      v.args[o] = this.eventRuns[i]!;
      v.args[o + 1] = event.step;
      v.args[o + 2] = event.kind;
      v.args[o + 3] = event.detail;
      v.args[o + 4] = event.seq;
      v.commitRow();
    }
    v.finish();
  }

  private clear(): void {
    this.stepRuns = [];
    this.steps = [];
    this.layers = new Map();
    this.evalRuns = [];
    this.evals = [];
    this.eventRuns = [];
    this.events = [];
    this.buffered = 0;
  }

  private bufferedRunIds(): Set<number> {
    return new Set([...this.stepRuns, ...this.layers.keys(), ...this.evalRuns, ...this.eventRuns]);
  }

  /**
   * A run deleted while its rows were buffered would fail every later flush; its rows are dropped
   * and reported instead. Returns whether anything was dropped (if not, the failure is real).
   */
  private dropRowsOfMissingRuns(): boolean {
    const ids = [...this.bufferedRunIds()];
    const existing = new Set(
      this.ctx.statement('SELECT id FROM runs WHERE id IN (SELECT value FROM json_each(?))').pluck().all(JSON.stringify(ids)) as number[],
    );
    const missing = new Set(ids.filter((id) => !existing.has(id)));
    if (missing.size === 0) return false;
    const before = this.buffered;
    const keep = <T>(runs: number[], records: T[]): [number[], T[]] => {
      const keptRuns: number[] = [];
      const kept: T[] = [];
      runs.forEach((run, i) => {
        if (!missing.has(run)) {
          keptRuns.push(run);
          kept.push(records[i]!);
        }
      });
      return [keptRuns, kept];
    };
    [this.stepRuns, this.steps] = keep(this.stepRuns, this.steps);
    [this.evalRuns, this.evals] = keep(this.evalRuns, this.evals);
    [this.eventRuns, this.events] = keep(this.eventRuns, this.events);
    for (const run of missing) this.layers.delete(run);
    let layerRows = 0;
    for (const byLayer of this.layers.values()) for (const records of byLayer) layerRows += records?.length ?? 0;
    this.buffered = this.stepRuns.length + this.evalRuns.length + this.eventRuns.length + layerRows;
    this.report(
      new StoreError(
        'run-missing',
        this.ctx.file,
        `${before - this.buffered} metric rows of run${missing.size > 1 ? 's' : ''} ${[...missing].join(', ')} were dropped: the run no longer exists in ${this.ctx.file} (it was deleted while it wrote)`,
      ),
    );
    return true;
  }
}
