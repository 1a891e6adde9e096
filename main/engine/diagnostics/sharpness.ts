/**
 * Sharpness: the top eigenvalue λ_max of the Hessian of the batch loss, for the whole
 * network and for each layer's diagonal block H_ll, by power iteration on
 * Hessian-vector products (the measure of Keskar et al. 2017 and Cohen et al. 2021;
 * Gao & Zhong's κ_l = ĝ_lᵀ H_ll ĝ_l is the same block's Rayleigh quotient along ĝ_l,
 * so κ_l ≤ λ_max(H_ll) always).
 *
 * Hv = [g(w + h v) − g(w − h v)] / 2h, central differences of the gradient with the
 * activation pattern of w replayed (frozen-activations.ts): no ReLU kink is crossed, and
 * on a piecewise-linear network the difference is exact up to the loss's third
 * derivative along v times h². Power iteration converges to the eigenvalue of largest
 * magnitude; when that is negative, a second pass on H − λI finds the top one.
 *
 * Cost per evaluation: 2 gradient passes per iteration per block (network + L layers),
 * iterations stop when λ changes by less than `tolerance` (relative). The vectors of the
 * last evaluation warm-start the next (`SharpnessTracker`), which usually needs a few
 * iterations only, since the top eigenvector turns slowly between evaluations.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerGroup } from '../models/layer-group';
import { createRng } from '../rng';
import { freezeActivations, gradientsOf, groupDot, setPerturbed, stepSize, sumSquares, withRestore, type LossFn } from './perturbation';
import { readValues } from '../training/read-back';

export interface SharpnessOptions {
  /** most power iterations per block (default 20) */
  iterations?: number;
  /** stop once |λ_k − λ_{k−1}| ≤ tolerance·|λ_k| (default 1e-3) */
  tolerance?: number;
  /** h = relativeStep · max(‖w‖, 1) of the block (default 1e-3) */
  relativeStep?: number;
  /** replay the activation pattern of w at w ± h·v (default true) */
  freezeActivations?: boolean;
  /** per-layer blocks as well as the network (default true) */
  perLayer?: boolean;
  /**
   * leave batch-norm layers' blocks out (default true): each block costs as many gradient
   * passes as the network's, and a ResNet has one batch-norm group per convolution
   */
  skipBatchNorm?: boolean;
  /** seed of the random start vectors (default fixed, so results replay) */
  seed?: number;
}

export interface SharpnessResult {
  /** λ_max of the whole Hessian */
  network: number;
  /** λ_max(H_ll) per layer (empty when perLayer is false; null for a skipped batch-norm layer) */
  layers: (number | null)[];
  /** power iterations used, all blocks together */
  iterations: number;
}

const DEFAULT_ITERATIONS = 20;
const DEFAULT_TOLERANCE = 1e-3;
const DEFAULT_RELATIVE_STEP = 1e-3;
const DEFAULT_SEED = 0x73686172;
const TINY_NORM = 1e-30;

interface Block {
  vars: tf.Variable[];
  /** the start vector (owned by the caller: a warm start, or a fresh random one) */
  start: tf.Tensor[];
}

function randomUnit(vars: tf.Variable[], seed: number): tf.Tensor[] {
  const rng = createRng(seed);
  return tf.tidy(() => {
    const raw = vars.map((v) => tf.tensor(Float32Array.from({ length: v.size }, () => rng.normal()), v.shape, 'float32'));
    const norm = tf.sqrt(sumSquares(raw));
    return raw.map((t) => tf.div(t, norm));
  });
}

/** (H − shift·I)v for the block, v of unit norm; variables restored bit-exactly. */
function hessianVector(vars: tf.Variable[], lossFn: () => tf.Scalar, v: tf.Tensor[], relativeStep: number, shift: number): tf.Tensor[] {
  return withRestore(vars, (originals) =>
    tf.tidy(() => {
      const h = stepSize(originals, relativeStep);
      setPerturbed(vars, originals, v, h);
      const plus = gradientsOf(lossFn, vars);
      setPerturbed(vars, originals, v, tf.neg(h));
      const minus = gradientsOf(lossFn, vars);
      const twoH = tf.mul(h, 2);
      return plus.map((p, i) => {
        const hv = tf.div(tf.sub(p, minus[i]!), twoH);
        return shift === 0 ? hv : tf.sub(hv, tf.mul(v[i]!, shift));
      });
    }),
  );
}

interface PowerResult {
  lambda: number;
  vector: tf.Tensor[];
  iterations: number;
}

/** Power iteration on H − shift·I from a unit vector; returns the Rayleigh quotient (shift included back) and the last unit vector. */
async function powerIteration(
  vars: tf.Variable[],
  lossFn: () => tf.Scalar,
  start: tf.Tensor[],
  o: Required<Pick<SharpnessOptions, 'iterations' | 'tolerance' | 'relativeStep'>>,
  shift: number,
): Promise<PowerResult> {
  let v = start.map((t) => tf.clone(t));
  let previous = Number.NaN;
  let lambda = Number.NaN;
  let k = 0;
  try {
    while (k < o.iterations) {
      k += 1;
      const hv = hessianVector(vars, lossFn, v, o.relativeStep, shift);
      const [rayleigh, next] = tf.tidy(() => {
        const quotient = groupDot(v, hv);
        const norm = tf.maximum(tf.sqrt(sumSquares(hv)), TINY_NORM);
        return [tf.keep(quotient), hv.map((t) => tf.keep(tf.div(t, norm)))] as const;
      });
      tf.dispose(hv);
      tf.dispose(v);
      v = next;
      lambda = (await readValues(rayleigh))[0]!;
      rayleigh.dispose();
      if (!Number.isFinite(lambda)) break;
      if (Math.abs(lambda - previous) <= o.tolerance * Math.abs(lambda)) break;
      previous = lambda;
    }
    return { lambda: lambda + shift, vector: v, iterations: k };
  } catch (error) {
    tf.dispose(v);
    throw error;
  }
}

/** λ_max of one block: power iteration, then (if it found a negative eigenvalue) again on H − λI. */
async function topEigen(
  block: Block,
  lossFn: () => tf.Scalar,
  o: Required<Pick<SharpnessOptions, 'iterations' | 'tolerance' | 'relativeStep'>>,
): Promise<PowerResult> {
  const first = await powerIteration(block.vars, lossFn, block.start, o, 0);
  if (!(first.lambda < 0)) return first;
  // the dominant eigenvalue is negative: the top one is the dominant eigenvalue of H − λ_neg·I, shifted back
  try {
    const second = await powerIteration(block.vars, lossFn, block.start, o, first.lambda);
    return { ...second, iterations: first.iterations + second.iterations };
  } finally {
    tf.dispose(first.vector);
  }
}

/** Start vectors kept between evaluations: index 0 the network, 1 + l layer l. */
export class SharpnessTracker {
  private vectors: (tf.Tensor[] | null)[] = [];
  private evaluations = 0;

  constructor(private readonly options: SharpnessOptions = {}) {}

  /** λ_max for the network and per layer at the current weights, on the batch that `lossFn` computes. */
  async measure(groups: LayerGroup[], lossFn: LossFn): Promise<SharpnessResult> {
    const o = {
      iterations: this.options.iterations ?? DEFAULT_ITERATIONS,
      tolerance: this.options.tolerance ?? DEFAULT_TOLERANCE,
      relativeStep: this.options.relativeStep ?? DEFAULT_RELATIVE_STEP,
    };
    if (!Number.isInteger(o.iterations) || o.iterations < 1) throw new RangeError(`sharpness iterations must be a positive integer, got ${o.iterations}`);
    if (!(o.tolerance >= 0)) throw new RangeError(`sharpness tolerance must be ≥ 0, got ${o.tolerance}`);
    if (!(o.relativeStep > 0 && Number.isFinite(o.relativeStep))) throw new RangeError(`sharpness relativeStep must be a positive number, got ${o.relativeStep}`);
    const perLayer = this.options.perLayer ?? true;
    const seed = this.options.seed ?? DEFAULT_SEED;
    const skipBatchNorm = this.options.skipBatchNorm ?? true;
    const measured = (g: LayerGroup): boolean => !(skipBatchNorm && g.kind === 'batchnorm');
    const blocks = [groups.flatMap((g) => g.params), ...(perLayer ? groups.map((g) => (measured(g) ? g.params : null)) : [])];
    const frozen = freezeActivations(lossFn, this.options.freezeActivations ?? true);
    const lambdas: (number | null)[] = [];
    let iterations = 0;
    try {
      for (let b = 0; b < blocks.length; b++) {
        const vars = blocks[b];
        if (!vars) {
          lambdas.push(null);
          continue;
        }
        const start = this.vectors[b] ?? randomUnit(vars, seed + 7919 * b + this.evaluations);
        const result = await topEigen({ vars, start }, frozen.lossFn, o);
        tf.dispose(start);
        this.vectors[b] = result.vector;
        lambdas.push(result.lambda);
        iterations += result.iterations;
      }
    } finally {
      frozen.dispose();
    }
    this.evaluations += 1;
    return { network: lambdas[0]!, layers: lambdas.slice(1), iterations };
  }

  dispose(): void {
    this.vectors.forEach((v) => v && tf.dispose(v));
    this.vectors = [];
  }
}

/** One evaluation from random start vectors (no warm start). */
export async function estimateSharpness(groups: LayerGroup[], lossFn: LossFn, options: SharpnessOptions = {}): Promise<SharpnessResult> {
  const tracker = new SharpnessTracker(options);
  try {
    return await tracker.measure(groups, lossFn);
  } finally {
    tracker.dispose();
  }
}
