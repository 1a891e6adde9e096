/**
 * What a remote worker appends to a run's Redis Stream: one entry per batch, with a field `b`, a
 * JSON array of the worker-protocol messages of the batch, and (when the batch has layer records)
 * a field `v`, their values as little-endian float64. A run's last entry ends with an `exit`
 * message once the training process is gone. JSON and plain floats, not v8 serialization, so
 * coordinator and workers may run different Node versions; NaN and ±Infinity become null on the
 * way (stored as NULL, as SQLite does with NaN).
 *
 * Layer records, nearly all of the volume (one per layer per step), travel as rows under one list
 * of column names: `{ type: 'layers', columns, count }` in `b`, `count` rows of `columns.length`
 * floats in `v` (null as NaN), in message order. Nothing of them is parsed as text and the records
 * are rebuilt with one fixed shape: the coordinator's ingest is bounded by SQLite, not decoding
 * (bench/distributed.ts). Records with a value that is neither a number nor null travel as JSON
 * rows (`{ columns, rows }`), and records of mixed shapes as objects; both are read back too.
 */
import { endianness } from 'node:os';
import type { LayerMetrics } from '../../common/metrics';
import type { WorkerMessage } from '../../common/worker-protocol';

export interface JobData {
  runId: number;
  /** the resolved spec; the worker validates it again before running anything */
  spec: unknown;
}

export type ExitMessage = { type: 'exit'; code: number | null; signal: string | null; stderrTail: string };
export type StreamMessage = WorkerMessage | ExitMessage;

export const BATCH_FIELD = 'b';
export const VALUES_FIELD = 'v';

/** An entry's fields as XADD takes them and XREADGROUP gives them back (name, value, name, value…). */
export type EntryFields = (string | Buffer)[];

type LayerRow = (number | null)[];
const littleEndian = endianness() === 'LE';

/**
 * Layers messages in compact form: the records' keys once (they come from the records themselves,
 * so fields added to LayerMetrics travel without a change here), then their values, appended to
 * `values` when all are numbers or null.
 */
function compactLayers(metrics: readonly LayerMetrics[], values: number[]): object {
  const first = metrics[0];
  if (!first) return { type: 'layers', metrics };
  const columns = Object.keys(first) as (keyof LayerMetrics)[];
  let numeric = true;
  for (const m of metrics) {
    if (Object.keys(m).length !== columns.length) return { type: 'layers', metrics };
    for (const c of columns) {
      const v = m[c] as unknown;
      if (v !== null && v !== undefined && typeof v !== 'number') numeric = false;
    }
  }
  if (!numeric) return { type: 'layers', columns, rows: metrics.map((m) => columns.map((c) => m[c] ?? null)) };
  for (const m of metrics) for (const c of columns) values.push((m[c] as number | null) ?? Number.NaN);
  return { type: 'layers', columns, count: metrics.length };
}

export function encodeBatch(messages: readonly StreamMessage[]): EntryFields {
  const values: number[] = [];
  const json = JSON.stringify(messages.map((m) => (m.type === 'layers' ? compactLayers(m.metrics, values) : m)));
  if (values.length === 0) return [BATCH_FIELD, json];
  const floats = Buffer.from(new Float64Array(values).buffer);
  if (!littleEndian) floats.swap64();
  return [BATCH_FIELD, json, VALUES_FIELD, floats];
}

type Cell = (value: number | null | undefined) => number | null;
type FromRow = (cell: Cell, row: ArrayLike<number | null>, at: number) => LayerMetrics;
const fromRowByColumns = new Map<string, FromRow>();
const plainName = (c: string): boolean => /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(c) && c !== '__proto__';

/**
 * Builds a record of the columns from `row[at…]`: a function made once per column list, so every
 * record comes from one object literal (fast to make, one hidden class for the store to read)
 * rather than grown key by key. Only plain identifiers go into the function's text; other names
 * take the slow path, as data properties (`__proto__` included, as JSON.parse makes them).
 */
function fromRow(columns: readonly string[]): FromRow {
  const key = columns.join('\u0000');
  let make = fromRowByColumns.get(key);
  if (!make) {
    if (columns.every(plainName) && new Set(columns).size === columns.length) {
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the body holds checked identifiers only
      make = new Function('cell', 'row', 'at', `return { ${columns.map((c, i) => `${c}: cell(row[at + ${i}])`).join(', ')} };`) as FromRow;
    } else {
      make = (cell, row, at) => Object.fromEntries(columns.map((c, i) => [c, cell(row[at + i])])) as unknown as LayerMetrics;
    }
    fromRowByColumns.set(key, make);
  }
  return make;
}

const finiteOrNull: Cell = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const orNull: Cell = (v) => v ?? null;

function text(value: string | Buffer | undefined): string | undefined {
  return typeof value === 'string' || value === undefined ? value : value.toString('utf8');
}

function floats(value: string | Buffer | undefined): Float64Array | null {
  if (!Buffer.isBuffer(value) || value.length % 8 !== 0) return null;
  const copy = Buffer.from(value); // aligned, and ours to swap
  if (!littleEndian) copy.swap64();
  return new Float64Array(copy.buffer, copy.byteOffset, copy.length / 8);
}

/**
 * The messages of one stream entry (its flat field list from XREADGROUP, as strings or Buffers;
 * the values field must be a Buffer); [] for an entry without a batch.
 */
export function decodeEntry(fields: readonly (string | Buffer)[] | null): StreamMessage[] {
  if (!fields) return [];
  let json: string | undefined;
  let values: Float64Array | null = null;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = text(fields[i]);
    if (name === BATCH_FIELD) json = text(fields[i + 1]);
    else if (name === VALUES_FIELD) values = floats(fields[i + 1]);
  }
  if (json === undefined) return [];
  const parsed = JSON.parse(json) as unknown;
  if (!Array.isArray(parsed)) return [];
  let at = 0;
  for (const [j, m] of parsed.entries()) {
    const compact = m as { type?: unknown; columns?: unknown; rows?: unknown; count?: unknown };
    if (compact.type !== 'layers' || !Array.isArray(compact.columns)) continue;
    const columns = compact.columns as string[];
    const make = fromRow(columns);
    if (Array.isArray(compact.rows)) {
      parsed[j] = { type: 'layers', metrics: (compact.rows as LayerRow[]).map((row) => make(orNull, row, 0)) };
    } else if (typeof compact.count === 'number') {
      const width = columns.length;
      if (!values || at + compact.count * width > values.length) throw new Error(`stream entry: layer values missing (${compact.count} rows of ${width} announced)`);
      const metrics = new Array<LayerMetrics>(compact.count);
      for (let r = 0; r < compact.count; r++, at += width) metrics[r] = make(finiteOrNull, values, at);
      parsed[j] = { type: 'layers', metrics };
    }
  }
  return parsed as StreamMessage[];
}
