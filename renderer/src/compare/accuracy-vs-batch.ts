/**
 * The paper's headline plot: final test accuracy against batch size, one line
 * per optimizer (or per optimizer and whatever else sets runs apart, when the
 * caller names lines that way). Runs on the same line at the same batch size,
 * e.g. repeats over seeds, are averaged.
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
  line: string;
  points: AccuracyPoint[];
}

export interface RunOutcome {
  /** which line the run belongs to, e.g. "LARS" */
  line: string;
  batchSize: number;
  testAccuracy: number | null;
}

export function accuracyByBatchSize(outcomes: readonly RunOutcome[]): AccuracyLine[] {
  const byLine = new Map<string, Map<number, number[]>>();
  for (const o of outcomes) {
    if (o.testAccuracy === null || !Number.isFinite(o.testAccuracy)) continue;
    const bySize = byLine.get(o.line) ?? new Map<number, number[]>();
    const list = bySize.get(o.batchSize) ?? [];
    list.push(o.testAccuracy);
    bySize.set(o.batchSize, list);
    byLine.set(o.line, bySize);
  }
  return [...byLine.entries()].map(([line, bySize]) => ({
    line,
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
