/**
 * Serves batches from a split: a fresh seeded permutation each epoch, samples
 * gathered into reused buffers, made into tensors when first read.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DataSplit } from '../data/dataset';
import { createRng } from '../rng';

export interface Batch {
  /** samples, shaped [size, ...inputShape] */
  readonly x: tf.Tensor;
  /** int32 class indices */
  readonly labels: tf.Tensor1D;
  /** float one-hot targets */
  readonly oneHot: tf.Tensor2D;
  readonly size: number;
  /** the same samples on the host: micro-batches and shards are cut from these, not sliced from the tensors */
  readonly host: HostSamples;
}

export interface HostSamples {
  x: Float32Array;
  labels: Int32Array;
  inputShape: number[];
  numClasses: number;
}

/**
 * A batch whose tensors are made when first read: a run split across threads never
 * uploads the whole batch on the main thread, only the rows it computes (rowsOf).
 * They are kept (tf.keep) so that a first read inside a tidy or a gradient does not
 * free them; dispose() frees the ones made.
 */
class LazyBatch implements Batch {
  private made: { x?: tf.Tensor; labels?: tf.Tensor1D; oneHot?: tf.Tensor2D } = {};
  private released = false;
  readonly size: number;

  constructor(readonly host: HostSamples) {
    this.size = host.labels.length;
  }

  get x(): tf.Tensor {
    return (this.made.x ??= tf.keep(tf.tensor(this.host.x, [this.size, ...this.host.inputShape], 'float32')));
  }

  get labels(): tf.Tensor1D {
    return (this.made.labels ??= tf.keep(tf.tensor1d(this.host.labels, 'int32')));
  }

  get oneHot(): tf.Tensor2D {
    const labels = this.labels;
    return (this.made.oneHot ??= tf.keep(tf.tidy(() => tf.cast(tf.oneHot(labels, this.host.numClasses), 'float32')) as tf.Tensor2D));
  }

  get disposed(): boolean {
    return this.released;
  }

  dispose(): void {
    if (this.released) return;
    this.released = true;
    tf.dispose([this.made.x, this.made.labels, this.made.oneHot].filter((t): t is tf.Tensor => t !== undefined));
    this.made = {};
  }
}

export function disposeBatch(batch: Batch): void {
  if (batch instanceof LazyBatch) batch.dispose();
  else tf.dispose([batch.x, batch.labels, batch.oneHot]);
}

/** Where a batch source gathers its samples: buffers for `rows` samples, reused from batch to batch. */
export type SampleBuffers = (rows: number) => { x: Float32Array; labels: Int32Array };

/** Buffers of its own, grown to the largest batch asked for. */
function ownBuffers(featureSize: number): SampleBuffers {
  let x = new Float32Array(0);
  let labels = new Int32Array(0);
  return (rows) => {
    if (rows > labels.length) {
      x = new Float32Array(rows * featureSize);
      labels = new Int32Array(rows);
    }
    return { x: x.subarray(0, rows * featureSize), labels: labels.subarray(0, rows) };
  };
}

export class BatchSource {
  private readonly rng;
  private order: Int32Array = new Int32Array(0);
  private cursor = 0;
  private readonly featureSize: number;
  private readonly buffers: SampleBuffers;
  private last: LazyBatch | null = null;

  /**
   * `buffers`: where to gather (a shard pool's shared memory, which its replica threads
   * read in place); by default buffers of the source's own. Either way a batch's samples
   * live until the next one is gathered, so a batch must be disposed before the next call.
   */
  constructor(
    private readonly split: DataSplit,
    private readonly inputShape: number[],
    private readonly numClasses: number,
    seed: number,
    buffers?: SampleBuffers,
  ) {
    this.rng = createRng(seed);
    this.featureSize = inputShape.reduce((a, b) => a * b, 1);
    this.buffers = buffers ?? ownBuffers(this.featureSize);
  }

  /** Starts an epoch: reshuffles with the run's RNG. */
  startEpoch(): void {
    this.order = this.rng.permutation(this.split.count);
    this.cursor = 0;
  }

  next(batchSize: number): Batch {
    if (this.last && !this.last.disposed) throw new Error('BatchSource.next: the previous batch is still in use (its samples live in the buffers the next one reuses); dispose it first');
    if (this.cursor + batchSize > this.order.length) this.startEpoch();
    const indices = this.order.subarray(this.cursor, this.cursor + batchSize);
    this.cursor += batchSize;
    const { x, labels } = this.buffers(batchSize);
    gatherInto(this.split, indices, this.featureSize, x, labels);
    this.last = new LazyBatch({ x, labels, inputShape: this.inputShape, numClasses: this.numClasses });
    return this.last;
  }
}

function gatherInto(split: DataSplit, indices: ArrayLike<number>, featureSize: number, xs: Float32Array, ys: Int32Array): void {
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]!;
    xs.set(split.x.subarray(src * featureSize, (src + 1) * featureSize), i * featureSize);
    ys[i] = split.y[src]!;
  }
}

/** Copies the given samples into a batch of their own. */
export function gather(split: DataSplit, indices: ArrayLike<number>, inputShape: number[], featureSize: number, numClasses: number): Batch {
  const xs = new Float32Array(indices.length * featureSize);
  const ys = new Int32Array(indices.length);
  gatherInto(split, indices, featureSize, xs, ys);
  return makeBatch(xs, ys, inputShape, numClasses);
}

/** A batch of host samples (row-major features, class labels); its tensors are made when first read. */
export function makeBatch(xs: Float32Array, ys: Int32Array, inputShape: number[], numClasses: number): Batch {
  return new LazyBatch({ x: xs, labels: ys, inputShape, numClasses });
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
