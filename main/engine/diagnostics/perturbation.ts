/**
 * Moving a layer's variables for a finite difference and putting them back exactly.
 * The perturbed values are written with `assign`; the originals are kept as tensors
 * and assigned back afterwards (never restored by adding the step back, which would
 * drift), also when the loss throws.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FrozenActivations } from '../models/frozen-activations';

/**
 * Mean loss of the current batch, computed from the current values of the variables.
 * A model's loss passes `frozen` on to its forward pass (ForwardMode.frozen), so the
 * estimators can record the activation pattern at w and replay it at w ± h·d; a loss
 * of a smooth network may ignore it.
 */
export type LossFn = (frozen?: FrozenActivations) => tf.Scalar;

/** keeps ĝ = g / ‖g‖ finite: a layer with g = 0 has no direction and reports κ = 0 */
const TINY_NORM = 1e-30;

export function sumSquares(ts: tf.Tensor[]): tf.Scalar {
  return tf.addN(ts.map((t) => tf.sum(tf.square(t)))) as tf.Scalar;
}

export function groupDot(a: tf.Tensor[], b: tf.Tensor[]): tf.Scalar {
  return tf.addN(a.map((t, i) => tf.sum(tf.mul(t, b[i]!)))) as tf.Scalar;
}

export function unitDirection(g: tf.Tensor[]): tf.Tensor[] {
  const norm = tf.maximum(tf.sqrt(sumSquares(g)), TINY_NORM);
  return g.map((t) => tf.div(t, norm));
}

/** h_l = relativeStep · max(‖w_l‖, 1), kept on the device. */
export function stepSize(weights: tf.Tensor[], relativeStep: number): tf.Scalar {
  return tf.mul(tf.maximum(tf.sqrt(sumSquares(weights)), 1), relativeStep);
}

/** Runs `body` with the variables' current values kept, then puts those exact tensors back. */
export function withRestore<T>(vars: tf.Variable[], body: (originals: tf.Tensor[]) => T): T {
  // clone shares the data buffer, so restoring is a pointer swap and bit-exact
  const originals = vars.map((v) => tf.clone(v));
  try {
    return body(originals);
  } finally {
    vars.forEach((v, i) => v.assign(originals[i]!));
    tf.dispose(originals);
  }
}

/** vars ← originals + step · directions */
export function setPerturbed(vars: tf.Variable[], originals: tf.Tensor[], directions: tf.Tensor[], step: tf.Scalar): void {
  tf.tidy(() => vars.forEach((v, i) => v.assign(tf.add(originals[i]!, tf.mul(directions[i]!, step)))));
}

export function gradientsOf(lossFn: () => tf.Scalar, vars: tf.Variable[]): tf.Tensor[] {
  const { value, grads } = tf.variableGrads(lossFn, vars);
  value.dispose();
  // a variable the loss does not reach (or a frozen one) has a zero gradient
  return vars.map((v) => grads[v.name] ?? tf.zerosLike(v));
}

/** The loss with the activation pattern of the current weights replayed, and L(w) from the recording pass. */
export interface FrozenLoss {
  lossFn: () => tf.Scalar;
  /** L(w), from the one forward pass that recorded the pattern */
  centre: tf.Scalar;
  /** activation sites recorded (0 for a smooth network, or when freezing is off) */
  sites: number;
  dispose(): void;
}

/**
 * One forward pass at the current weights that records the ReLU masks and max-pool
 * choices (frozen-activations.ts); the returned loss replays them. With `enabled`
 * false the loss is the plain one and the pass only yields L(w).
 */
export function freezeActivations(lossFn: LossFn, enabled: boolean): FrozenLoss {
  const frozen = enabled ? new FrozenActivations() : undefined;
  try {
    const centre = tf.tidy(() => lossFn(frozen));
    frozen?.replay();
    return {
      lossFn: frozen
        ? () => {
            frozen.rewind();
            return lossFn(frozen);
          }
        : () => lossFn(),
      centre,
      sites: frozen?.size ?? 0,
      dispose: () => {
        centre.dispose();
        frozen?.dispose();
      },
    };
  } catch (error) {
    frozen?.dispose();
    throw error;
  }
}
