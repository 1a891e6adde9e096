/**
 * Z-scoring of features with training-split statistics only, so nothing about the
 * test split leaks into the inputs: x' = (x − mean_train) / std_train per feature,
 * population std. A feature constant on the training split is only centred.
 */
import type { DataSplit } from './dataset';

export interface Standardized {
  train: DataSplit;
  test: DataSplit;
  mean: Float64Array;
  std: Float64Array;
}

function apply(split: DataSplit, mean: Float64Array, std: Float64Array): DataSplit {
  const width = mean.length;
  const x = new Float32Array(split.x.length);
  for (let i = 0; i < x.length; i++) {
    const f = i % width;
    x[i] = (split.x[i]! - mean[f]!) / std[f]!;
  }
  return { x, y: split.y, count: split.count };
}

/** New splits (the inputs are left as they were) and the statistics used. */
export function standardize(train: DataSplit, test: DataSplit, width: number): Standardized {
  const mean = new Float64Array(width);
  const std = new Float64Array(width);
  for (let i = 0; i < train.x.length; i++) mean[i % width]! += train.x[i]!;
  for (let f = 0; f < width; f++) mean[f]! /= Math.max(1, train.count);
  for (let i = 0; i < train.x.length; i++) std[i % width]! += (train.x[i]! - mean[i % width]!) ** 2;
  for (let f = 0; f < width; f++) {
    const sd = Math.sqrt(std[f]! / Math.max(1, train.count));
    std[f] = sd > 1e-12 ? sd : 1;
  }
  return { train: apply(train, mean, std), test: apply(test, mean, std), mean, std };
}
