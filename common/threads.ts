/**
 * How many threads a run trains on. Shared by the runner (which splits the machine's
 * cores between the runs it starts) and the engine (which resolves "auto" when it runs
 * on its own, e.g. from a test or a bench).
 */
import type { RunSpec, Threads } from './spec';

/**
 * The smallest shard worth a thread of its own, in samples. Below it the per-step cost of
 * a shard (copying the weights to the replica and its gradient back, two messages) eats
 * what the second core wins. Measured on the MLP 784-256-128-10 (docs/benchmarks.md,
 * "Threads"), where compute per sample is smallest relative to the weights copied, so it
 * is conservative for CNNs, which reuse every weight at many positions.
 */
export const minSamplesPerShard = 256;

/** The largest batch a run will take, over its batch-size schedule. */
export function largestBatch(spec: Pick<RunSpec, 'batch'>): number {
  return Math.max(spec.batch.size, ...spec.batch.schedule.map((s) => s.size));
}

/** "auto": as many of the `budget` threads as the largest batch can keep busy (≥ 1). */
export function autoThreads(largestBatchSize: number, budget: number): number {
  return Math.max(1, Math.min(Math.floor(budget), Math.floor(largestBatchSize / minSamplesPerShard)));
}

/** The thread count a run asks for: its own number, or "auto" resolved against a budget of threads. */
export function resolveThreads(threads: Threads, largestBatchSize: number, budget: number): number {
  return threads === 'auto' ? autoThreads(largestBatchSize, budget) : threads;
}
