/**
 * The fused convolution block (main/engine/models/conv-block.ts): its value and its
 * gradients match the same block written with separate ops (conv2d, add, relu) on
 * the cpu backend's stock kernels, on cpu and on wasm with the fast kernels; and a
 * CNN built on it has the loss gradient of the same CNN on separate ops.
 */
// tfjs-core's Node bundle carries no gradient functions; the umbrella package registers them
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { convBlock, type ConvBlockOptions } from '../../../main/engine/models/conv-block';
import { buildCnn } from '../../../main/engine/models/cnn';
import { FrozenActivations } from '../../../main/engine/models/frozen-activations';
import { computeOn, expectClose, seededTensor, useBackend, type BackendName } from '../kernels/backends';

// an odd size, so 'same' padding at stride 2 pads unevenly and 'valid' drops a column
const shapes = { batch: 3, size: 9, inChannels: 2, kernelSize: 3, outChannels: 4 };

type Geometry = Pick<ConvBlockOptions, 'stride' | 'padding'>;

function outputSize({ stride, padding }: Geometry): number {
  const { size, kernelSize } = shapes;
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - kernelSize) / stride) + 1;
}

function inputs(geometry: Geometry): [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.Tensor4D] {
  const { batch, size, inChannels, kernelSize, outChannels } = shapes;
  const out = outputSize(geometry);
  return [
    seededTensor([batch, size, size, inChannels], 1) as tf.Tensor4D,
    tf.mul(seededTensor([kernelSize, kernelSize, inChannels, outChannels], 2), 0.4) as tf.Tensor4D,
    // a bias that pushes some units below zero and some above
    tf.mul(seededTensor([outChannels], 3), 0.5) as tf.Tensor1D,
    seededTensor([batch, out, out, outChannels], 4) as tf.Tensor4D,
  ];
}

function reference(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, options: Omit<ConvBlockOptions, 'inputGradient'>): tf.Tensor4D {
  const z = tf.add(tf.conv2d(x, w, options.stride, options.padding), b);
  return (options.activation === 'relu' ? tf.relu(z) : z) as tf.Tensor4D;
}

type Block = (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D) => tf.Tensor4D;

/** value, dx, dW and db of sum(block(x) * weights), flattened into one tensor */
function valueAndGradients(geometry: Geometry, block: Block): tf.Tensor {
  const [x, w, b, weights] = inputs(geometry);
  const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(block(xx as tf.Tensor4D, ww as tf.Tensor4D, bb as tf.Tensor1D), weights));
  const grads = tf.grads(f)([x, w, b]);
  return tf.concat([tf.reshape(block(x, w, b), [-1]), ...grads.map((g) => tf.reshape(g, [-1]))]);
}

/** dW and db of sum(block(x) * weights), x held fixed */
function weightGradients(geometry: Geometry, block: Block): tf.Tensor {
  const [x, w, b, weights] = inputs(geometry);
  const grads = tf.grads((ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(block(x, ww as tf.Tensor4D, bb as tf.Tensor1D), weights)))([w, b]);
  return tf.concat(grads.map((g) => tf.reshape(g, [-1])));
}

const geometries: Geometry[] = [
  { stride: 1, padding: 'same' },
  { stride: 1, padding: 'valid' },
  { stride: 2, padding: 'same' },
  { stride: 2, padding: 'valid' },
];

describe('convBlock', () => {
  for (const geometry of geometries) {
    for (const activation of ['relu', 'linear'] as const) {
      const label = `${activation}, stride ${geometry.stride}, '${geometry.padding}'`;
      for (const backend of ['cpu', 'wasm'] as BackendName[]) {
        it(`${label} on ${backend}: value and gradients match conv2d + add${activation === 'relu' ? ' + relu' : ''} on cpu`, async () => {
          const options = { ...geometry, activation };
          const expected = await computeOn('cpu', () => valueAndGradients(geometry, (x, w, b) => reference(x, w, b, options)));
          const actual = await computeOn(backend, () => valueAndGradients(geometry, (x, w, b) => convBlock(x, w, b, { ...options, inputGradient: true })));
          expectClose(actual, expected);
        });
      }
      it(`${label} without the input gradient: the same weight and bias gradients on wasm`, async () => {
        const options = { ...geometry, activation };
        const expected = await computeOn('cpu', () => weightGradients(geometry, (x, w, b) => reference(x, w, b, options)));
        const actual = await computeOn('wasm', () => weightGradients(geometry, (x, w, b) => convBlock(x, w, b, { ...options, inputGradient: false })));
        expectClose(actual, expected);
      });
    }
  }

  it('without the input gradient, asking for dx fails', async () => {
    await useBackend('wasm');
    const geometry = geometries[0]!;
    const [x, w, b] = inputs(geometry);
    expect(() => tf.grad((xx: tf.Tensor) => tf.sum(convBlock(xx as tf.Tensor4D, w, b, { ...geometry, activation: 'relu', inputGradient: false })))(x)).toThrow();
    tf.dispose([x, w, b]);
  });

  it('follows its variables when they are assigned (wasm keeps XNNPACK operators per filter and bias buffer)', async () => {
    const geometry = geometries[0]!;
    const options = { ...geometry, activation: 'relu' as const };
    const afterUpdate = (block: Block) => () => {
      const [x, w0, b0] = inputs(geometry);
      const w = tf.variable(w0);
      const b = tf.variable(b0);
      block(x, w, b).dataSync();
      w.assign(tf.mul(w0, -0.5));
      b.assign(tf.add(b0, 0.25));
      const y = block(x, w, b);
      tf.dispose([w, b]);
      return y;
    };
    const expected = await computeOn('cpu', afterUpdate((x, w, b) => reference(x, w, b, options)));
    const actual = await computeOn('wasm', afterUpdate((x, w, b) => convBlock(x, w, b, { ...options, inputGradient: true })));
    expectClose(actual, expected);
  });

  it('leaves no tensors behind over training steps', async () => {
    await useBackend('wasm');
    const geometry = geometries[2]!;
    const [x, w0, b0, weights] = inputs(geometry);
    const w = tf.variable(w0);
    const b = tf.variable(b0);
    const step = () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(convBlock(x, w, b, { ...geometry, activation: 'relu', inputGradient: false }), weights)), [w, b]);
      tf.tidy(() => [w, b].forEach((v) => v.assign(tf.sub(v, tf.mul(grads[v.name]!, 0.01)))));
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w0, b0, weights, w, b]);
  });
});

describe('a CNN on fused blocks', () => {
  /**
   * Loss and its gradient for every parameter, flattened. `separateOps` runs the
   * forward pass in frozen-recording mode, which takes the separate ops (conv2d, add,
   * relu, matMul) with the very values and gradients of an unfrozen pass.
   */
  function lossAndGradients(separateOps: boolean): tf.Tensor {
    const model = buildCnn({
      inputShape: [12, 12, 1],
      numClasses: 3,
      conv: [
        { filters: 4, kernelSize: 3, stride: 1, padding: 'same', pool: 2 },
        { filters: 5, kernelSize: 3, stride: 2, padding: 'valid', pool: 1 },
      ],
      dense: [6],
      activation: 'relu',
      seed: 5,
    });
    const frozen = separateOps ? new FrozenActivations() : undefined;
    try {
      const x = seededTensor([4, 12, 12, 1], 6);
      const labels = tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3);
      const params = model.groups.flatMap((g) => g.params);
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true, updateStats: false, frozen })), params);
      return tf.concat([tf.reshape(value, [1]), ...params.map((p) => tf.reshape(grads[p.name]!, [-1]))]);
    } finally {
      frozen?.dispose();
      model.dispose();
    }
  }

  for (const backend of ['cpu', 'wasm'] as BackendName[]) {
    it(`has the loss gradient of the same CNN on separate ops (${backend}, against cpu)`, async () => {
      const expected = await computeOn('cpu', () => lossAndGradients(true));
      const actual = await computeOn(backend, () => lossAndGradients(false));
      expectClose(actual, expected);
    });
  }
});
