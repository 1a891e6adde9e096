/**
 * The paper's headline plot: final test accuracy against batch size, one line
 * per optimizer. Runs repeated over seeds (or other swept values) at the same
 * optimizer and batch size are averaged.
 */
export interface AccuracyPoint {
  batchSize: number;
  /** mean over runs */
  accuracy: number;
  min: number;
  max: number;
  runs: number;
}

export interface AccuracyLine {
  optimizer: string;
  points: AccuracyPoint[];
}

export interface RunOutcome {
  optimizer: string;
  batchSize: number;
  testAccuracy: number | null;
}

export function accuracyByBatchSize(outcomes: readonly RunOutcome[]): AccuracyLine[] {
  const byOptimizer = new Map<string, Map<number, number[]>>();
  for (const o of outcomes) {
    if (o.testAccuracy === null || !Number.isFinite(o.testAccuracy)) continue;
    const bySize = byOptimizer.get(o.optimizer) ?? new Map<number, number[]>();
    const list = bySize.get(o.batchSize) ?? [];
    list.push(o.testAccuracy);
    bySize.set(o.batchSize, list);
    byOptimizer.set(o.optimizer, bySize);
  }
  return [...byOptimizer.entries()].map(([optimizer, bySize]) => ({
    optimizer,
    points: [...bySize.entries()]
      .sort(([a], [b]) => a - b)
      .map(([batchSize, values]) => ({
        batchSize,
        accuracy: values.reduce((s, v) => s + v, 0) / values.length,
        min: Math.min(...values),
        max: Math.max(...values),
        runs: values.length,
      })),
  }));
}
