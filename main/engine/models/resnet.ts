import * as tf from '@tensorflow/tfjs-core';
import { disposeModel, GroupBuilder, relu, type ForwardMode, type Model } from './model';
import { imageShape } from './cnn';

export interface ResnetOptions {
  inputShape: number[];
  numClasses: number;
  /** basic blocks per stage; stage s > 0 halves the resolution and doubles the width */
  stages: number[];
  width: number;
  seed: number;
}

const bnMomentum = 0.9;
const bnEpsilon = 1e-5;

interface BatchNorm {
  gamma: tf.Variable;
  beta: tf.Variable;
  runningMean: tf.Variable;
  runningVar: tf.Variable;
}

type Layer = (x: tf.Tensor4D, mode: ForwardMode) => tf.Tensor4D;

/** A small ResNet of basic blocks with batch norm (He et al. 2016), for CIFAR-sized images. */
export function buildResnet(options: ResnetOptions): Model {
  const [height, width, channels] = imageShape(options.inputShape);
  const builder = new GroupBuilder(options.seed);

  const conv = (name: string, cin: number, cout: number, size: number, stride: number): Layer => {
    const [kernel] = builder.group(name, 'conv', [
      { role: 'weight', value: builder.initWeight([size, size, cin, cout], size * size * cin, size * size * cout, 'relu') },
    ]);
    return (x) => tf.conv2d(x, kernel as tf.Tensor4D, stride, 'same');
  };

  const batchNorm = (name: string, c: number): Layer => {
    const [gamma, beta] = builder.group(name, 'batchnorm', [
      { role: 'gamma', value: tf.ones([c]) },
      { role: 'beta', value: tf.zeros([c]) },
    ]);
    const bn: BatchNorm = {
      gamma: gamma!,
      beta: beta!,
      runningMean: builder.stateVariable(`${name}/running_mean`, tf.zeros([c])),
      runningVar: builder.stateVariable(`${name}/running_var`, tf.ones([c])),
    };
    return (x, mode) => applyBatchNorm(x, bn, mode);
  };

  const stem = [conv('stem_conv', channels, options.width, 3, 1), batchNorm('stem_bn', options.width)];
  const blocks: Layer[] = [];
  let cin = options.width;
  options.stages.forEach((count, s) => {
    const cout = options.width * 2 ** s;
    for (let b = 0; b < count; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      const id = `s${s + 1}b${b + 1}`;
      const convA = conv(`${id}_conv_a`, cin, cout, 3, stride);
      const bnA = batchNorm(`${id}_bn_a`, cout);
      const convB = conv(`${id}_conv_b`, cout, cout, 3, 1);
      const bnB = batchNorm(`${id}_bn_b`, cout);
      const needsProjection = stride !== 1 || cin !== cout;
      const projConv = needsProjection ? conv(`${id}_shortcut_conv`, cin, cout, 1, stride) : null;
      const projBn = needsProjection ? batchNorm(`${id}_shortcut_bn`, cout) : null;
      blocks.push((x, mode) => {
        const a = relu(bnA(convA(x, mode), mode), mode.frozen);
        const y = bnB(convB(a, mode), mode);
        const shortcut = projConv && projBn ? projBn(projConv(x, mode), mode) : x;
        return relu(tf.add(y, shortcut) as tf.Tensor4D, mode.frozen);
      });
      cin = cout;
    }
  });
  const [headW, headB] = builder.group('output', 'dense', [
    { role: 'weight', value: builder.initWeight([cin, options.numClasses], cin, options.numClasses, 'linear') },
    { role: 'bias', value: tf.zeros([options.numClasses]) },
  ]);

  const model: Model = {
    groups: builder.groups,
    state: builder.state,
    apply(x, mode) {
      let t = tf.reshape(x, [x.shape[0]!, height, width, channels]) as tf.Tensor4D;
      t = relu(stem[1]!(stem[0]!(t, mode), mode), mode.frozen);
      for (const block of blocks) t = block(t, mode);
      const pooled = tf.mean(t, [1, 2]) as tf.Tensor2D;
      return tf.add(tf.matMul(pooled, headW as tf.Tensor2D), headB as tf.Tensor) as tf.Tensor2D;
    },
    dispose: () => disposeModel(model),
  };
  return model;
}

function applyBatchNorm(x: tf.Tensor4D, bn: BatchNorm, mode: ForwardMode): tf.Tensor4D {
  if (!mode.training) {
    return tf.add(tf.mul(tf.mul(tf.sub(x, bn.runningMean), tf.rsqrt(tf.add(bn.runningVar, bnEpsilon))), bn.gamma), bn.beta) as tf.Tensor4D;
  }
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  if (mode.updateStats) {
    // running averages are state, not part of the gradient: update them from detached copies
    const n = x.shape[0] * x.shape[1] * x.shape[2];
    const unbiased = tf.mul(variance, n / Math.max(n - 1, 1));
    bn.runningMean.assign(tf.add(tf.mul(bn.runningMean, bnMomentum), tf.mul(mean, 1 - bnMomentum)));
    bn.runningVar.assign(tf.add(tf.mul(bn.runningVar, bnMomentum), tf.mul(unbiased, 1 - bnMomentum)));
  }
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, bnEpsilon))), bn.gamma), bn.beta) as tf.Tensor4D;
}
