import * as tf from '@tensorflow/tfjs-core';
import type { LayerGroup, ParamRole } from './layer-group';
import type { LayerInfo } from '../../../common/metrics';
import type { FrozenActivations } from './frozen-activations';

export interface ForwardMode {
  /** batch-norm uses batch statistics when training */
  training: boolean;
  /** fold this batch's statistics into batch-norm running averages (only the real step does) */
  updateStats: boolean;
  /** record (or replay) the ReLU/ELU masks and max-pool choices, for curvature estimates (frozen-activations.ts) */
  frozen?: FrozenActivations;
}

/** A network as a pure forward function over per-layer parameter groups. */
export interface Model {
  groups: LayerGroup[];
  /** non-trainable state, e.g. batch-norm running statistics */
  state: tf.Variable[];
  /** logits [batch, classes] for inputs [batch, ...inputShape] */
  apply(x: tf.Tensor, mode: ForwardMode): tf.Tensor2D;
  dispose(): void;
}

let variableSerial = 0;

/** Builds parameter groups with unique tfjs variable names and seeded initial values. */
export class GroupBuilder {
  readonly groups: LayerGroup[] = [];
  readonly state: tf.Variable[] = [];
  private seedCounter: number;

  constructor(seed: number) {
    this.seedCounter = seed * 7919 + 17;
  }

  private variable(name: string, value: tf.Tensor, trainable: boolean): tf.Variable {
    variableSerial += 1;
    return tf.variable(value, trainable, `${name}#${variableSerial}`);
  }

  nextSeed(): number {
    this.seedCounter = (this.seedCounter * 48271 + 11) % 2147483647;
    return this.seedCounter;
  }

  group(name: string, kind: LayerGroup['kind'], params: { role: ParamRole; value: tf.Tensor }[]): tf.Variable[] {
    const vars = params.map((p) => this.variable(`${name}/${p.role}`, p.value, true));
    params.forEach((p) => p.value.dispose());
    this.groups.push({ name, kind, params: vars, roles: params.map((p) => p.role) });
    return vars;
  }

  stateVariable(name: string, value: tf.Tensor): tf.Variable {
    const v = this.variable(name, value, false);
    value.dispose();
    this.state.push(v);
    return v;
  }

  /** He-normal (ReLU family) or Glorot-uniform (tanh/sigmoid) initial weights. */
  initWeight(shape: number[], fanIn: number, fanOut: number, activation: string): tf.Tensor {
    const seed = this.nextSeed();
    if (activation === 'relu' || activation === 'elu') {
      return tf.truncatedNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed);
    }
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return tf.randomUniform(shape, -limit, limit, 'float32', seed);
  }
}

export function disposeModel(model: Pick<Model, 'groups' | 'state'>): void {
  for (const g of model.groups) g.params.forEach((p) => p.dispose());
  model.state.forEach((s) => s.dispose());
}

export function activate(x: tf.Tensor, activation: string, frozen?: FrozenActivations): tf.Tensor {
  if (frozen && activation === 'relu') return frozen.relu(x);
  if (frozen && activation === 'elu') return frozen.elu(x);
  switch (activation) {
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'elu':
      return tf.elu(x);
    default:
      throw new Error(`unknown activation '${activation}'`);
  }
}

/** maxPool(x, size, size, 'valid'), or its frozen selection (frozen-activations.ts) */
export function maxPool(x: tf.Tensor4D, size: number, frozen?: FrozenActivations): tf.Tensor4D {
  return frozen ? frozen.maxPool(x, size) : tf.maxPool(x, size, size, 'valid');
}

/** relu(x), or its frozen mask */
export function relu<T extends tf.Tensor>(x: T, frozen?: FrozenActivations): T {
  return (frozen ? frozen.relu(x) : tf.relu(x)) as T;
}

export function describeLayers(groups: LayerGroup[]): LayerInfo[] {
  return groups.map((g) => ({
    name: g.name,
    kind: g.kind,
    paramCount: g.params.reduce((n, p) => n + p.size, 0),
    shapes: g.params.map((p) => p.shape.slice()),
  }));
}

export function parameterCount(groups: LayerGroup[]): number {
  return groups.reduce((n, g) => n + g.params.reduce((m, p) => m + p.size, 0), 0);
}
