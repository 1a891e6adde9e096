import { describe, expect, it } from 'vitest';
import { accuracyByBatchSize } from '../../renderer/src/compare/accuracy-vs-batch';

describe('accuracyByBatchSize', () => {
  it('draws one line per optimizer (or other line key), averaging repeats and skipping runs without an accuracy', () => {
    const lines = accuracyByBatchSize([
      { line: 'sgd', batchSize: 4096, testAccuracy: 0.8 },
      { line: 'sgd', batchSize: 128, testAccuracy: 0.9 },
      { line: 'sgd', batchSize: 128, testAccuracy: 0.94 },
      { line: 'lars', batchSize: 4096, testAccuracy: 0.88 },
      { line: 'lars', batchSize: 128, testAccuracy: null },
    ]);
    expect(lines.map((l) => l.line)).toEqual(['sgd', 'lars']);
    expect(lines[0]!.points.map((p) => p.batchSize)).toEqual([128, 4096]);
    expect(lines[0]!.points[0]!.accuracy).toBeCloseTo(0.92);
    expect(lines[0]!.points[0]!.runs).toBe(2);
    expect(lines[1]!.points).toHaveLength(1);
  });
});
