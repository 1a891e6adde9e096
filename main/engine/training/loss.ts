import * as tf from '@tensorflow/tfjs-core';

/** Softmax cross-entropy per sample: −log softmax(logits)[y]. */
export function perSampleCrossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Tensor1D {
  return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1)) as tf.Tensor1D;
}

/** Number of rows whose arg-max matches the label (a float scalar, summed on device). */
export function correctCount(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32'));
}
