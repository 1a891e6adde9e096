import * as tf from '@tensorflow/tfjs-core';
import type { LayerGroup } from '../models/layer-group';

/**
 * Per-parameter optimizer state (a momentum buffer, an Adam moment): one
 * non-trainable variable shaped like each parameter, zero at the start.
 * Updated with `assign`, so the tensor count stays flat over steps.
 */
export class Slots {
  private readonly vars: tf.Variable[][];

  constructor(groups: readonly LayerGroup[]) {
    this.vars = groups.map((group) => group.params.map((param) => tf.tidy(() => tf.zerosLike(param).variable(false))));
  }

  get(layer: number, param: number): tf.Variable {
    const v = this.vars[layer]?.[param];
    if (!v) throw new Error(`no optimizer state for layer ${layer} param ${param}`);
    return v;
  }

  dispose(): void {
    for (const layer of this.vars) for (const v of layer) v.dispose();
    this.vars.length = 0;
  }
}
