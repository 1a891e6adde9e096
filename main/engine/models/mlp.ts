import * as tf from '@tensorflow/tfjs-core';
import { dense, isFusedActivation } from './dense';
import { activate, disposeModel, GroupBuilder, type Model } from './model';

export interface MlpOptions {
  inputShape: number[];
  numClasses: number;
  hidden: number[];
  activation: string;
  seed: number;
}

/** Fully connected network: dense_1 … dense_n, then `output`. */
export function buildMlp(options: MlpOptions): Model {
  const builder = new GroupBuilder(options.seed);
  const inputSize = options.inputShape.reduce((a, b) => a * b, 1);
  const widths = [inputSize, ...options.hidden, options.numClasses];
  const layers: [tf.Variable, tf.Variable][] = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    const [fanIn, fanOut] = [widths[i]!, widths[i + 1]!];
    const isOutput = i + 2 === widths.length;
    const [w, b] = builder.group(isOutput ? 'output' : `dense_${i + 1}`, 'dense', [
      { role: 'weight', value: builder.initWeight([fanIn, fanOut], fanIn, fanOut, isOutput ? 'linear' : options.activation) },
      { role: 'bias', value: tf.zeros([fanOut]) },
    ]);
    layers.push([w!, b!]);
  }
  const model: Model = {
    groups: builder.groups,
    state: builder.state,
    apply(x, mode) {
      let h: tf.Tensor = tf.reshape(x, [x.shape[0]!, inputSize]);
      layers.forEach(([w, b], i) => {
        const activation = i + 1 < layers.length ? options.activation : 'linear';
        if (mode.frozen === undefined && isFusedActivation(activation)) {
          // the training step: one fused op per layer; the first layer's input is the data, so no gradient is taken with respect to it
          h = dense(h as tf.Tensor2D, w, b, { activation, inputGradient: i > 0 });
        } else {
          // curvature records or replays the activation pattern (ForwardMode.frozen): separate ops
          h = tf.add(tf.matMul(h as tf.Tensor2D, w as tf.Tensor2D), b);
          if (i + 1 < layers.length) h = activate(h, options.activation, mode.frozen);
        }
      });
      return h as tf.Tensor2D;
    },
    dispose: () => disposeModel(model),
  };
  return model;
}
