/**
 * What a remote worker appends to a run's Redis Stream: entries of one field `b`, a JSON array of
 * the worker-protocol messages of a batch, ending with an `exit` message once the training
 * process is gone. JSON, not v8 serialization, so coordinator and workers may run different Node
 * versions; NaN and ±Infinity become null on the way (stored as NULL, as SQLite does with NaN).
 *
 * Layer records, nearly all of the volume (one per layer per step), travel as rows of values
 * under one list of column names (`{ type: 'layers', columns, rows }`) rather than objects: about
 * half the bytes to write, send, buffer in Redis, decode and parse (bench/distributed.ts).
 */
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

type LayerRow = (number | null)[];

/**
 * A layers message as `{ type: 'layers', columns, rows }`: the records' keys once, then their
 * values in that order. The keys come from the records themselves, so fields added to
 * LayerMetrics travel without a change here; a message whose records differ in shape (none
 * should) stays in object form.
 */
function compactLayers(metrics: readonly LayerMetrics[]): object {
  const first = metrics[0];
  if (!first) return { type: 'layers', metrics };
  const columns = Object.keys(first) as (keyof LayerMetrics)[];
  const rows: LayerRow[] = [];
  for (const m of metrics) {
    if (Object.keys(m).length !== columns.length) return { type: 'layers', metrics };
    rows.push(columns.map((c) => m[c] ?? null));
  }
  return { type: 'layers', columns, rows };
}

function expandLayers(columns: string[], rows: LayerRow[]): LayerMetrics[] {
  return rows.map((row) => {
    const record: Record<string, number | null> = {};
    for (let c = 0; c < columns.length; c++) record[columns[c]!] = row[c] ?? null;
    return record as unknown as LayerMetrics;
  });
}

export function encodeBatch(messages: readonly StreamMessage[]): string {
  return JSON.stringify(messages.map((m) => (m.type === 'layers' ? compactLayers(m.metrics) : m)));
}

/** The messages of one stream entry (its flat field list from XREADGROUP); [] for an entry without a batch. */
export function decodeEntry(fields: readonly string[] | null): StreamMessage[] {
  if (!fields) return [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === BATCH_FIELD) {
      const parsed = JSON.parse(fields[i + 1]!) as unknown;
      if (!Array.isArray(parsed)) return [];
      for (const [j, m] of parsed.entries()) {
        const compact = m as { type?: unknown; columns?: unknown; rows?: unknown };
        if (compact.type === 'layers' && Array.isArray(compact.columns) && Array.isArray(compact.rows)) {
          parsed[j] = { type: 'layers', metrics: expandLayers(compact.columns as string[], compact.rows as LayerRow[]) };
        }
      }
      return parsed as StreamMessage[];
    }
  }
  return [];
}
