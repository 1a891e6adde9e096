/**
 * Seeded, class-stratified choice of rows: the trainLimit/testLimit subsets and the
 * test hold-out of datasets without a test split. Each class contributes in proportion
 * to its share of the split (largest-remainder rounding), so a 1,000-sample subset of
 * MNIST has about 100 of each digit and a rare class stays rare but present.
 * Chosen rows come out in a seeded random order, never sorted by class.
 */
import type { Rng } from '../rng';
import { DatasetError, type DataSplit } from './dataset';

/** Rows of `split` at `indices`, in that order. */
export function selectRows(split: DataSplit, indices: Int32Array): DataSplit {
  const width = split.count === 0 ? 0 : split.x.length / split.count;
  const x = new Float32Array(indices.length * width);
  const y = new Int32Array(indices.length);
  for (let row = 0; row < indices.length; row++) {
    const from = indices[row]!;
    x.set(split.x.subarray(from * width, (from + 1) * width), row * width);
    y[row] = split.y[from]!;
  }
  return { x, y, count: indices.length };
}

/**
 * Non-negative integer quotas summing to `total` (≤ the sum of counts), proportional
 * to `counts`, none above its count: floors first, then one more for the largest
 * remainders (ties to the lower class).
 */
export function proportionalQuotas(counts: number[], total: number): number[] {
  const sum = counts.reduce((a, b) => a + b, 0);
  if (sum === 0) return counts.map(() => 0);
  const ideal = counts.map((c) => (total * c) / sum);
  const quotas = ideal.map(Math.floor);
  let missing = total - quotas.reduce((a, b) => a + b, 0);
  const byRemainder = ideal.map((v, c) => ({ c, r: v - Math.floor(v) })).sort((a, b) => b.r - a.r || a.c - b.c);
  for (const { c } of byRemainder) {
    if (missing === 0) break;
    if (quotas[c]! < counts[c]!) {
      quotas[c]!++;
      missing--;
    }
  }
  return quotas;
}

/** Splits row indices into `take` stratified picks and the rest, both in seeded random order. */
export function stratifiedPick(y: Int32Array, numClasses: number, take: number, rng: Rng): { picked: Int32Array; rest: Int32Array } {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < y.length; i++) byClass[y[i]!]!.push(i);
  const quotas = proportionalQuotas(
    byClass.map((rows) => rows.length),
    take,
  );
  const picked = new Int32Array(take);
  const rest = new Int32Array(y.length - take);
  let p = 0;
  let r = 0;
  byClass.forEach((rows, c) => {
    rng.shuffle(rows);
    rows.forEach((row, k) => {
      if (k < quotas[c]!) picked[p++] = row;
      else rest[r++] = row;
    });
  });
  rng.shuffle(picked);
  rng.shuffle(rest);
  return { picked, rest };
}

/** `limit` stratified rows in seeded order; the split unchanged when it has no more than `limit`. */
export function limitSplit(split: DataSplit, limit: number | undefined, numClasses: number, rng: Rng): DataSplit {
  if (limit === undefined || limit >= split.count) return split;
  return selectRows(split, stratifiedPick(split.y, numClasses, limit, rng).picked);
}

/**
 * Holds out round(fraction × count) stratified rows as the test split (at least one,
 * and at least one left to train on). `source` names the data in errors.
 */
export function holdOut(
  split: DataSplit,
  fraction: number,
  numClasses: number,
  rng: Rng,
  source: string,
): { train: DataSplit; test: DataSplit } {
  if (split.count < 2) {
    throw new DatasetError(source, `has ${split.count} sample(s); at least 2 are needed to hold out a test set`);
  }
  const testCount = Math.min(split.count - 1, Math.max(1, Math.round(fraction * split.count)));
  const { picked, rest } = stratifiedPick(split.y, numClasses, testCount, rng);
  return { train: selectRows(split, rest), test: selectRows(split, picked) };
}
