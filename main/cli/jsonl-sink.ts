/** A RunSink that writes every record as one JSON line and shows progress on stderr. */
import type { RunSink } from '../engine/training/run-sink';
import { ProgressDisplay } from './progress-display';

export function createJsonlSink(write: (line: string) => void, progress: ProgressDisplay | null): RunSink {
  const emit = (type: string, data: unknown): void => write(`${JSON.stringify({ type, ...(data as object) })}\n`);
  return {
    started: (info) => emit('started', info),
    step: (metrics) => emit('step', metrics),
    layers: (metrics) => metrics.forEach((m) => emit('layer', m)),
    eval: (metrics) => emit('eval', metrics),
    event: (event) => emit('event', event),
    progress: (p) => progress?.update(p),
  };
}
