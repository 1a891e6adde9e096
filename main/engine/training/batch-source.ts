/**
 * Serves batches from a split: a fresh seeded permutation each epoch, samples
 * gathered into reused buffers, handed over as tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DataSplit } from '../data/dataset';
import { createRng } from '../rng';

export interface Batch {
  x: tf.Tensor;
  /** int32 class indices */
  labels: tf.Tensor1D;
  /** float one-hot targets */
  oneHot: tf.Tensor2D;
  size: number;
  /** the same samples on the host: micro-batches are cut from these, not sliced from the tensors */
  host: { x: Float32Array; labels: Int32Array; inputShape: number[]; numClasses: number };
}

export function disposeBatch(batch: Batch): void {
  batch.x.dispose();
  batch.labels.dispose();
  batch.oneHot.dispose();
}

export class BatchSource {
  private readonly rng;
  private order: Int32Array = new Int32Array(0);
  private cursor = 0;
  private readonly featureSize: number;

  constructor(
    private readonly split: DataSplit,
    private readonly inputShape: number[],
    private readonly numClasses: number,
    seed: number,
  ) {
    this.rng = createRng(seed);
    this.featureSize = inputShape.reduce((a, b) => a * b, 1);
  }

  /** Starts an epoch: reshuffles with the run's RNG. */
  startEpoch(): void {
    this.order = this.rng.permutation(this.split.count);
    this.cursor = 0;
  }

  next(batchSize: number): Batch {
    if (this.cursor + batchSize > this.order.length) this.startEpoch();
    const indices = this.order.subarray(this.cursor, this.cursor + batchSize);
    this.cursor += batchSize;
    return gather(this.split, indices, this.inputShape, this.featureSize, this.numClasses);
  }
}

/** Copies the given samples into tensors. */
export function gather(split: DataSplit, indices: ArrayLike<number>, inputShape: number[], featureSize: number, numClasses: number): Batch {
  const n = indices.length;
  const xs = new Float32Array(n * featureSize);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const src = indices[i]!;
    xs.set(split.x.subarray(src * featureSize, (src + 1) * featureSize), i * featureSize);
    ys[i] = split.y[src]!;
  }
  return makeBatch(xs, ys, inputShape, numClasses);
}

/** Tensors for host samples (row-major features, class labels). */
export function makeBatch(xs: Float32Array, ys: Int32Array, inputShape: number[], numClasses: number): Batch {
  const n = ys.length;
  const labels = tf.tensor1d(ys, 'int32');
  return {
    x: tf.tensor(xs, [n, ...inputShape], 'float32'),
    labels,
    oneHot: tf.tidy(() => tf.cast(tf.oneHot(labels, numClasses), 'float32')) as tf.Tensor2D,
    size: n,
    host: { x: xs, labels: ys, inputShape, numClasses },
  };
}

/**
 * Rows [start, start + size) of a batch as a batch of their own, built from the host
 * copy: slicing the tensors on wasm reads the whole batch out of the heap per slice.
 */
export function rowsOf(batch: Batch, start: number, size: number): Batch {
  const { x, labels, inputShape, numClasses } = batch.host;
  const featureSize = x.length / Math.max(labels.length, 1);
  return makeBatch(x.subarray(start * featureSize, (start + size) * featureSize), labels.subarray(start, start + size), inputShape, numClasses);
}
