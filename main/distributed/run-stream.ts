/**
 * What a remote worker appends to a run's Redis Stream: entries of one field `b`, a JSON array of
 * the worker-protocol messages of a batch, ending with an `exit` message once the training
 * process is gone. JSON, not v8 serialization, so coordinator and workers may run different Node
 * versions; NaN and ±Infinity become null on the way (stored as NULL, as SQLite does with NaN).
 *
 * Layer records, nearly all of the volume (one per layer per step), travel as rows of values in
 * LayerRow order (`{ type: 'layers', rows: [[step, layer, …], …] }`) rather than objects: about
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

/** step, layer, gradNorm, weightNorm, updateNorm, effectiveLr, lossUpdateShare, curvature, curvatureError */
type LayerRow = (number | null)[];

function layerRow(m: LayerMetrics): LayerRow {
  return [m.step, m.layer, m.gradNorm, m.weightNorm, m.updateNorm, m.effectiveLr, m.lossUpdateShare, m.curvature, m.curvatureError];
}

function layerFromRow(row: LayerRow): LayerMetrics {
  return {
    step: row[0]!,
    layer: row[1]!,
    gradNorm: row[2]!,
    weightNorm: row[3]!,
    updateNorm: row[4]!,
    effectiveLr: row[5]!,
    lossUpdateShare: row[6] ?? null,
    curvature: row[7] ?? null,
    curvatureError: row[8] ?? null,
  };
}

export function encodeBatch(messages: readonly StreamMessage[]): string {
  return JSON.stringify(messages.map((m) => (m.type === 'layers' ? { type: 'layers', rows: m.metrics.map(layerRow) } : m)));
}

/** The messages of one stream entry (its flat field list from XREADGROUP); [] for an entry without a batch. */
export function decodeEntry(fields: readonly string[] | null): StreamMessage[] {
  if (!fields) return [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === BATCH_FIELD) {
      const parsed = JSON.parse(fields[i + 1]!) as unknown;
      if (!Array.isArray(parsed)) return [];
      for (const [j, m] of parsed.entries()) {
        const compact = m as { type?: unknown; rows?: unknown };
        if (compact.type === 'layers' && Array.isArray(compact.rows)) parsed[j] = { type: 'layers', metrics: (compact.rows as LayerRow[]).map(layerFromRow) };
      }
      return parsed as StreamMessage[];
    }
  }
  return [];
}
