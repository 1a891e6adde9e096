/**
 * A convolution block, y = act(conv2d(x, W) + b), as one op with its own gradient
 * (the convolutional counterpart of dense.ts).
 *
 * Written with tf.conv2d, tf.add and tf.relu, a block is three kernels forward and
 * Step, Cast, Multiply, a Sum and Reshapes besides the two convolution gradients
 * backward, each with its tape entry and JS dispatch. Here the forward is one
 * FusedConv2D (bias and relu applied inside XNNPACK's convolution on wasm) and the
 * backward is Step, Multiply, Sum and the two convolution gradients.
 *
 * `inputGradient: false` is for a first block, whose input is the data: the
 * gradient with respect to it (a Conv2DBackpropInput, as costly as the forward
 * convolution) is then never computed. The op hands the tape a zero-size
 * placeholder instead, so asking for that gradient fails on its shape rather than
 * returning a wrong value.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Conv2DBackpropFilter, Conv2DBackpropInput, FusedConv2D } from '@tensorflow/tfjs-core';
import type { FusedActivation } from './dense';
import { reluGrad } from '../kernels/relu-grad-kernel';

export interface ConvBlockOptions {
  activation: FusedActivation;
  stride: number;
  padding: 'same' | 'valid';
  inputGradient: boolean;
}

function convBlockOp(options: ConvBlockOptions) {
  const geometry = { strides: [options.stride, options.stride], pad: options.padding, dataFormat: 'NHWC', dimRoundingMode: undefined };
  return tf.customGrad((...args: unknown[]) => {
    const [x, w, b, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.GradSaveFunc];
    // the kernel itself: tf.fused.conv2d unfuses a relu whenever a tape is recording, and it is
    const attrs = { ...geometry, dilations: [1, 1], activation: options.activation, leakyreluAlpha: 0 };
    const y = tf.engine().runKernel(FusedConv2D, { x, filter: w, bias: b }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    save(options.activation === 'relu' ? [x, w, y] : [x, w]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws, ys] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D?];
        // relu'(z) from y = relu(z): y > 0 exactly where z > 0
        const dz = ys ? reluGrad(dy, ys) : dy;
        const dx = options.inputGradient
          ? (tf.engine().runKernel(Conv2DBackpropInput, { dy: dz, filter: ws }, { ...geometry, inputShape: xs.shape } as unknown as tf.NamedAttrMap) as tf.Tensor)
          : tf.zeros([0]);
        const dw = tf.engine().runKernel(Conv2DBackpropFilter, { x: xs, dy: dz }, { ...geometry, filterShape: ws.shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
        return [dx, dw, tf.sum(dz, [0, 1, 2])];
      },
    };
  });
}

const ops = new Map<string, ReturnType<typeof convBlockOp>>();

/** act(conv2d(x, W, stride, padding) + b) for x [batch, h, w, in] (NHWC), W [kh, kw, in, out], b [out]. */
export function convBlock(x: tf.Tensor4D, w: tf.Tensor, b: tf.Tensor, options: ConvBlockOptions): tf.Tensor4D {
  const key = `${options.activation}/${options.stride}/${options.padding}/${options.inputGradient}`;
  let op = ops.get(key);
  if (!op) ops.set(key, (op = convBlockOp(options)));
  return op(x, w, b) as tf.Tensor4D;
}
