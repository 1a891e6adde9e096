/**
 * A dense layer, y = act(x·W + b), as one op with its own gradient.
 *
 * Written with tf.matMul, tf.add and tf.relu, a layer is three kernels forward and
 * about eight backward (relu's gradient is Step + Cast + Multiply, the bias's a Sum
 * and Reshapes), each with its tape entry and JS dispatch; on wasm those outweigh
 * their arithmetic (docs/benchmarks.md, "MLP step against the GEMM ceiling"). Here
 * the forward is one fused MatMul (bias and relu applied inside the GEMM by
 * XNNPACK on wasm) and the backward is Step, Multiply, Sum and the two products.
 *
 * `inputGradient: false` is for a first layer, whose input is the data: the
 * gradient with respect to it (as large as a forward product) is then never
 * computed. The op hands the tape a zero-size placeholder instead, so asking for
 * that gradient fails on its shape rather than returning a wrong value.
 */
import * as tf from '@tensorflow/tfjs-core';
import { _FusedMatMul } from '@tensorflow/tfjs-core';
import { reluGrad } from '../kernels/relu-grad-kernel';

/** activations the fused op handles; others go through the separate ops */
export type FusedActivation = 'relu' | 'linear';

export function isFusedActivation(activation: string): activation is FusedActivation {
  return activation === 'relu' || activation === 'linear';
}

export interface DenseOptions {
  activation: FusedActivation;
  inputGradient: boolean;
}

function denseOp(options: DenseOptions) {
  return tf.customGrad((...args: unknown[]) => {
    const [x, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    // the kernel itself: tf.fused.matMul unfuses whenever a tape is recording, and it is
    const [batch, fanIn] = x.shape;
    const fanOut = w.shape[1];
    const attrs = { transposeA: false, transposeB: false, activation: options.activation, leakyreluAlpha: 0 };
    const inputs = { a: tf.reshape(x, [1, batch, fanIn]), b: tf.reshape(w, [1, fanIn, fanOut]), bias: b };
    const y = tf.reshape(tf.engine().runKernel(_FusedMatMul, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor3D, [batch, fanOut]) as tf.Tensor2D;
    save(options.activation === 'relu' ? [x, w, y] : [x, w]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws, ys] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D?];
        // relu'(z) from y = relu(z): y > 0 exactly where z > 0
        const dz = ys ? reluGrad(dy, ys) : (dy as tf.Tensor2D);
        const dx = options.inputGradient ? tf.matMul(dz as tf.Tensor2D, ws, false, true) : tf.zeros([0]);
        return [dx, tf.matMul(xs, dz as tf.Tensor2D, true, false), tf.sum(dz, 0)];
      },
    };
  });
}

const ops = new Map<string, ReturnType<typeof denseOp>>();

/** act(x·W + b) for x [batch, in], W [in, out], b [out]. */
export function dense(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor, options: DenseOptions): tf.Tensor2D {
  const key = `${options.activation}/${options.inputGradient}`;
  let op = ops.get(key);
  if (!op) ops.set(key, (op = denseOp(options)));
  return op(x, w, b) as tf.Tensor2D;
}
