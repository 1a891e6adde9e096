import * as tf from '@tensorflow/tfjs-core';
import { readValues } from '../training/read-back';

/**
 * Euclidean norm of each list of tensors taken together (‖(t_1, …, t_k)‖), all
 * read back in one transfer: trust ratios need a handful of scalars per layer,
 * and one batched read per step is far cheaper than one per layer.
 * An empty list has norm 0.
 */
export async function groupNorms(lists: readonly (readonly tf.Tensor[])[]): Promise<number[]> {
  if (lists.length === 0) return [];
  const squares = tf.tidy(() =>
    tf.stack(lists.map((list) => (list.length === 0 ? tf.scalar(0) : tf.addN(list.map((t) => tf.sum(tf.square(t))))))),
  );
  let data: Float32Array | Int32Array | Uint8Array;
  try {
    data = await readValues(squares);
  } finally {
    squares.dispose();
  }
  return Array.from(data, (s) => Math.sqrt(s));
}
