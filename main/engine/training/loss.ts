import * as tf from '@tensorflow/tfjs-core';
import { crossEntropyKernelsRegistered, runCrossEntropy, runCrossEntropyGrad } from '../kernels/cross-entropy-kernels';

/**
 * Softmax cross-entropy per sample: −log softmax(logits)[y], i.e. Σ_j oneHot_j · −log softmax_j.
 * Where the backend has Batchscope's kernels for it (wasm) it is one kernel, and its gradient
 * dy · (softmax − oneHot) another; elsewhere the composite of stock ops and its tape.
 */
export function perSampleCrossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Tensor1D {
  if (!crossEntropyKernelsRegistered()) return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1)) as tf.Tensor1D;
  // oneHot is data, not differentiated: closed over (the gradient runs within the same gradient
  // call as this forward pass, while the caller still holds it). The softmax is kept for the
  // gradient only while a tape records (save does nothing otherwise).
  const loss = tf.customGrad((x, save) => {
    const [value, softmax] = runCrossEntropy(x as tf.Tensor, oneHot);
    (save as tf.GradSaveFunc)([softmax]);
    return { value, gradFunc: (dy: tf.Tensor, [kept]: tf.Tensor[]) => runCrossEntropyGrad(kept!, oneHot, dy) };
  });
  return loss(logits) as tf.Tensor1D;
}

/** Number of rows whose arg-max matches the label (a float scalar, summed on device). */
export function correctCount(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32'));
}
