import * as tf from '@tensorflow/tfjs-core';
import type { DataSplit } from '../data/dataset';
import type { Model } from '../models/model';
import { disposeBatch, gather } from './batch-source';
import { correctCount, perSampleCrossEntropy } from './loss';
import { readValues } from './read-back';

export interface SplitScore {
  loss: number;
  accuracy: number;
}

/** Inference-mode loss and accuracy over the given samples of a split, in chunks. */
export async function evaluateSplit(
  model: Model,
  split: DataSplit,
  indices: Int32Array,
  inputShape: number[],
  numClasses: number,
  chunkSize = 1000,
): Promise<SplitScore> {
  const featureSize = inputShape.reduce((a, b) => a * b, 1);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < indices.length; start += chunkSize) {
    const batch = gather(split, indices.subarray(start, start + chunkSize), inputShape, featureSize, numClasses);
    const sums = tf.tidy(() => {
      const logits = model.apply(batch.x, { training: false, updateStats: false });
      return tf.stack([tf.sum(perSampleCrossEntropy(logits, batch.oneHot)), correctCount(logits, batch.labels)]);
    });
    disposeBatch(batch);
    try {
      const [l, c] = await readValues(sums);
      lossSum += l!;
      correct += c!;
    } finally {
      sums.dispose();
    }
  }
  const n = Math.max(indices.length, 1);
  return { loss: lossSum / n, accuracy: correct / n };
}
