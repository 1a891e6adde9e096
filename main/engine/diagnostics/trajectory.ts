/**
 * Where each layer's weights travel: the distance from initialization ‖w_l(t) − w_l(0)‖
 * and the cosine between consecutive updates cos(Δw_l(t), Δw_l(t−1)). Gao & Zhong
 * (2020) describe large-batch training as parameters that settle near a minimum of
 * their own layer; a layer whose distance stops growing while its consecutive updates
 * point against each other (cosine < 0) is oscillating across a valley rather than
 * travelling along it (docs/methods.md "Distance from initialization and update cosine").
 *
 * Costs one copy of the weights for w(0) and one for the last update, and a few
 * element-wise ops per measured step; snapshots are tfjs clones (they share the
 * buffer, so taking one costs nothing until the optimizer assigns new values).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerGroup } from '../models/layer-group';
import { readValues } from '../training/read-back';

export interface LayerTrajectory {
  distanceFromInit: number[];
  /** null for a layer at the first measured step, or when the previous step's update was not kept */
  updateCosine: (number | null)[];
}

const TINY = 1e-30;

export class TrajectoryTracker {
  private readonly initial: tf.Tensor[][];
  private before: tf.Tensor[][] | null = null;
  private previousUpdate: tf.Tensor[][] | null = null;
  private previousStep = -2;
  private current: { step: number; measure: boolean; keepUpdate: boolean } | null = null;

  constructor(private readonly groups: LayerGroup[]) {
    this.initial = groups.map((g) => g.params.map((p) => tf.clone(p)));
  }

  /**
   * Before the optimizer updates step `step`: `measure` when this step's trajectory is
   * reported, `keepUpdate` when the next step's is (its cosine needs this update).
   */
  beginStep(step: number, measure: boolean, keepUpdate: boolean): void {
    this.current = { step, measure, keepUpdate };
    if (measure || keepUpdate) this.before = this.groups.map((g) => g.params.map((p) => tf.clone(p)));
  }

  /** After the update: the layer values when this step is measured, else null. */
  async endStep(): Promise<LayerTrajectory | null> {
    const current = this.current;
    const before = this.before;
    this.current = null;
    this.before = null;
    if (!current || !before) return null;
    const update = tf.tidy(() => this.groups.map((g, l) => g.params.map((p, i) => tf.sub(p, before[l]![i]!))));
    tf.dispose(before);
    const previous = this.previousStep === current.step - 1 ? this.previousUpdate : null;
    let values: tf.Tensor2D | null = null;
    if (current.measure) {
      values = tf.tidy(() =>
        tf.stack(
          this.groups.map((g, l) => {
            const distance = tf.sqrt(tf.addN(g.params.map((p, i) => tf.sum(tf.square(tf.sub(p, this.initial[l]![i]!))))));
            if (!previous) return tf.stack([distance, tf.scalar(Number.NaN)]);
            const dot = tf.addN(update[l]!.map((u, i) => tf.sum(tf.mul(u, previous[l]![i]!))));
            const norms = tf.mul(
              tf.sqrt(tf.addN(update[l]!.map((u) => tf.sum(tf.square(u))))),
              tf.sqrt(tf.addN(previous[l]!.map((u) => tf.sum(tf.square(u))))),
            );
            return tf.stack([distance, tf.div(dot, tf.maximum(norms, TINY))]);
          }),
        ) as tf.Tensor2D,
      );
    }
    if (this.previousUpdate) tf.dispose(this.previousUpdate);
    this.previousUpdate = null;
    if (current.keepUpdate) {
      this.previousUpdate = update;
      this.previousStep = current.step;
    } else {
      tf.dispose(update);
    }
    if (!values) return null;
    try {
      const flat = await readValues(values);
      return {
        distanceFromInit: this.groups.map((_, l) => flat[2 * l]!),
        updateCosine: this.groups.map((_, l) => (Number.isNaN(flat[2 * l + 1]!) && !previous ? null : flat[2 * l + 1]!)),
      };
    } finally {
      values.dispose();
    }
  }

  dispose(): void {
    tf.dispose(this.initial);
    if (this.before) tf.dispose(this.before);
    if (this.previousUpdate) tf.dispose(this.previousUpdate);
    this.before = null;
    this.previousUpdate = null;
  }
}
