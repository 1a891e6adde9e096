/**
 * What a remote worker appends to a run's Redis Stream: entries of one field `b`, a JSON array of
 * the worker-protocol messages of a batch, ending with an `exit` message once the training
 * process is gone. JSON, not v8 serialization, so coordinator and workers may run different Node
 * versions; NaN and ±Infinity become null on the way (stored as NULL, as SQLite does with NaN).
 */
import type { WorkerMessage } from '../../common/worker-protocol';

export interface JobData {
  runId: number;
  /** the resolved spec; the worker validates it again before running anything */
  spec: unknown;
}

export type ExitMessage = { type: 'exit'; code: number | null; signal: string | null; stderrTail: string };
export type StreamMessage = WorkerMessage | ExitMessage;

export const BATCH_FIELD = 'b';

export function encodeBatch(messages: readonly StreamMessage[]): string {
  return JSON.stringify(messages);
}

/** The messages of one stream entry (its flat field list from XREADGROUP); [] for an entry without a batch. */
export function decodeEntry(fields: readonly string[] | null): StreamMessage[] {
  if (!fields) return [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === BATCH_FIELD) {
      const parsed = JSON.parse(fields[i + 1]!) as unknown;
      return Array.isArray(parsed) ? (parsed as StreamMessage[]) : [];
    }
  }
  return [];
}
