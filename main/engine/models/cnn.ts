import * as tf from '@tensorflow/tfjs-core';
import { convBlock } from './conv-block';
import { dense, isFusedActivation } from './dense';
import { activate, disposeModel, GroupBuilder, maxPool, type Model } from './model';

export interface ConvBlock {
  filters: number;
  kernelSize: number;
  stride: number;
  padding: 'same' | 'valid';
  pool: number;
}

export interface CnnOptions {
  inputShape: number[];
  numClasses: number;
  conv: ConvBlock[];
  dense: number[];
  activation: string;
  seed: number;
}

function convOutputSize(size: number, kernel: number, stride: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - kernel) / stride) + 1;
}

/** conv_1 … conv_n (each optionally max-pooled), dense_1 … dense_m, then `output`. */
export function buildCnn(options: CnnOptions): Model {
  const [height, width, channels] = imageShape(options.inputShape);
  const builder = new GroupBuilder(options.seed);
  let [h, w, c] = [height, width, channels];
  const convs: { w: tf.Variable; b: tf.Variable; block: ConvBlock }[] = [];
  options.conv.forEach((block, i) => {
    const fanIn = block.kernelSize * block.kernelSize * c;
    const fanOut = block.kernelSize * block.kernelSize * block.filters;
    const [kw, kb] = builder.group(`conv_${i + 1}`, 'conv', [
      { role: 'weight', value: builder.initWeight([block.kernelSize, block.kernelSize, c, block.filters], fanIn, fanOut, options.activation) },
      { role: 'bias', value: tf.zeros([block.filters]) },
    ]);
    convs.push({ w: kw!, b: kb!, block });
    h = convOutputSize(h, block.kernelSize, block.stride, block.padding);
    w = convOutputSize(w, block.kernelSize, block.stride, block.padding);
    if (block.pool > 1) {
      h = Math.floor(h / block.pool);
      w = Math.floor(w / block.pool);
    }
    c = block.filters;
    if (h < 1 || w < 1) throw new Error(`model.conv.${i}: the feature map shrinks to nothing (${h}×${w}); use fewer blocks, 'same' padding or less pooling`);
  });
  const flat = h * w * c;
  const widths = [flat, ...options.dense, options.numClasses];
  const denses: [tf.Variable, tf.Variable][] = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    const isOutput = i + 2 === widths.length;
    const [dw, db] = builder.group(isOutput ? 'output' : `dense_${i + 1}`, 'dense', [
      { role: 'weight', value: builder.initWeight([widths[i]!, widths[i + 1]!], widths[i]!, widths[i + 1]!, isOutput ? 'linear' : options.activation) },
      { role: 'bias', value: tf.zeros([widths[i + 1]!]) },
    ]);
    denses.push([dw!, db!]);
  }
  const model: Model = {
    groups: builder.groups,
    state: builder.state,
    apply(x, mode) {
      let t = tf.reshape(x, [x.shape[0]!, height, width, channels]) as tf.Tensor4D;
      convs.forEach(({ w: kernel, b, block }, i) => {
        const { activation } = options;
        if (mode.frozen === undefined && isFusedActivation(activation)) {
          // the training step: one fused op per block; the first block's input is the data, so no gradient is taken with respect to it
          t = convBlock(t, kernel, b, { activation, stride: block.stride, padding: block.padding, inputGradient: i > 0 });
        } else {
          // curvature records or replays the activation pattern (ForwardMode.frozen): separate ops
          t = activate(tf.add(tf.conv2d(t, kernel as tf.Tensor4D, block.stride, block.padding), b), activation, mode.frozen) as tf.Tensor4D;
        }
        if (block.pool > 1) t = maxPool(t, block.pool, mode.frozen);
      });
      let d: tf.Tensor = tf.reshape(t, [t.shape[0], flat]);
      denses.forEach(([dw, db], i) => {
        const activation = i + 1 < denses.length ? options.activation : 'linear';
        if (mode.frozen === undefined && isFusedActivation(activation)) {
          // the input is the flattened feature map (its gradient feeds the convolutions), or the data when there are none
          d = dense(d as tf.Tensor2D, dw, db, { activation, inputGradient: i > 0 || convs.length > 0 });
        } else {
          d = tf.add(tf.matMul(d as tf.Tensor2D, dw as tf.Tensor2D), db);
          if (i + 1 < denses.length) d = activate(d, options.activation, mode.frozen);
        }
      });
      return d as tf.Tensor2D;
    },
    dispose: () => disposeModel(model),
  };
  return model;
}

export function imageShape(inputShape: number[]): [number, number, number] {
  if (inputShape.length === 3) return inputShape as [number, number, number];
  if (inputShape.length === 2) return [inputShape[0]!, inputShape[1]!, 1];
  throw new Error(`model: convolutional models need image inputs (height × width × channels), this dataset gives [${inputShape.join(', ')}]`);
}
