import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../main/engine/backend';
import { TrajectoryTracker } from '../../../main/engine/diagnostics/trajectory';
import type { LayerGroup } from '../../../main/engine/models/layer-group';

beforeAll(async () => {
  await selectBackend('cpu');
});

function layers(): { groups: LayerGroup[]; a: tf.Variable; b: tf.Variable; c: tf.Variable } {
  const a = tf.variable(tf.tensor1d([1, 2]));
  const b = tf.variable(tf.tensor1d([0]));
  const c = tf.variable(tf.tensor1d([3, 0, 4]));
  return {
    a,
    b,
    c,
    groups: [
      { name: 'first', kind: 'dense', params: [a, b], roles: ['weight', 'bias'] },
      { name: 'second', kind: 'dense', params: [c], roles: ['weight'] },
    ],
  };
}

/** assigns without leaving the source tensor behind */
function set(v: tf.Variable, values: number[]): void {
  tf.tidy(() => v.assign(tf.tensor1d(values)));
}

describe('distance from initialization and update cosine', () => {
  it('follows hand-made updates: distance from w(0), cosine of consecutive updates (−1 when a layer steps back)', async () => {
    const { groups, a, b, c } = layers();
    const before = tf.memory().numTensors;
    const tracker = new TrajectoryTracker(groups);
    // step 0: first moves by (+1, 0 | +2), second by (0, 0, +1)
    tracker.beginStep(0, true, true);
    set(a, [2, 2]);
    set(b, [2]);
    set(c, [3, 0, 5]);
    const first = (await tracker.endStep())!;
    expect(first.distanceFromInit[0]).toBeCloseTo(Math.sqrt(5), 6);
    expect(first.distanceFromInit[1]).toBeCloseTo(1, 6);
    expect(first.updateCosine).toEqual([null, null]);
    // step 1: first steps back exactly, second moves orthogonally
    tracker.beginStep(1, true, false);
    set(a, [1, 2]);
    set(b, [0]);
    set(c, [4, 0, 5]);
    const second = (await tracker.endStep())!;
    expect(second.distanceFromInit[0]).toBeCloseTo(0, 6);
    expect(second.distanceFromInit[1]).toBeCloseTo(Math.SQRT2, 6);
    expect(second.updateCosine[0]).toBeCloseTo(-1, 6);
    expect(second.updateCosine[1]).toBeCloseTo(0, 6);
    // step 2 is not measured and step 1 kept no update: step 3 has a distance but no cosine
    tracker.beginStep(2, false, false);
    set(a, [1, 3]);
    expect(await tracker.endStep()).toBeNull();
    tracker.beginStep(3, true, false);
    set(a, [1, 4]);
    const fourth = (await tracker.endStep())!;
    expect(fourth.distanceFromInit[0]).toBeCloseTo(2, 6);
    expect(fourth.updateCosine).toEqual([null, null]);
    tracker.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b, c]);
  });
});
