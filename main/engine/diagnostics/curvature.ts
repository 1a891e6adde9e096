/**
 * Per-layer curvature κ_l = ĝ_lᵀ H_ll ĝ_l, the second derivative of the batch loss
 * along the layer's own gradient direction (Gao & Zhong 2020, arXiv 2012.08795;
 * estimators numbered as in shared/paper.md). Every estimator perturbs the
 * variables in place and leaves them bit-exactly as it found them (perturbation.ts).
 *
 * Cost in passes of `lossFn` (gradient passes unless noted), L layers, plus one
 * gradient pass for g when `grads` is not given:
 *   gradient-difference  2 per layer (2L)
 *   loss-difference      2 forward passes per layer + 1 for L_B(w) (2L + 1 forward)
 *   all-layers           2 per sign draw for all layers at once (draws ≤ next power of two ≥ L)
 *   hutchinson           2 per probe per layer (2·samples·L)
 *   lars-proxy           0
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CurvatureEstimator } from '../../../common/spec';
import type { LayerGroup } from '../models/layer-group';
import type { CurvatureOracle } from '../optimizers/optimizer';
import { createRng } from '../rng';
import { balancedProbes, type ProbeRng } from './balanced-probes';
import { hutchinsonDiagonalOf, hutchinsonKappa, type HutchinsonSettings } from './hutchinson';
import { gradientsOf, groupDot, setPerturbed, stepSize, sumSquares, unitDirection, withRestore, type LossFn } from './perturbation';

export type { LossFn };

export interface CurvatureOptions {
  /** h_l = relativeStep · max(‖w_l‖, 1) for the gradient-based estimators (default 1e-3) */
  relativeStep?: number;
  /**
   * h for loss-difference; default max(relativeStep, 1e-2). A float32 loss carries
   * rounding of ~1e-7·L, which a second difference divides by h²: on the tests' tiny
   * MLP relative step 1e-3 is 6–12 % off κ, 1e-4 useless, 1e-2 within 0.05 %.
   */
  lossRelativeStep?: number;
  /**
   * grads[l][p]: gradient of groups[l].params[p], used as the direction ĝ_l (and as
   * ‖g_l‖ by lars-proxy). Computed from lossFn (one extra pass) when absent. Not disposed.
   */
  grads?: tf.Tensor[][];
  /** Hutchinson probes per layer (default 8; at most the next power of two ≥ the layer's size is used) */
  hutchinsonSamples?: number;
  /** all-layers sign draws (default 4; at most the next power of two ≥ L is used) */
  signDraws?: number;
  /** the run's seeded generator for Hutchinson probes and all-layers signs */
  rng?: ProbeRng;
  /** seed of a fresh generator when no rng is given (default a fixed one, so results replay) */
  seed?: number;
}

const DEFAULT_RELATIVE_STEP = 1e-3;
const MIN_LOSS_RELATIVE_STEP = 1e-2;
const DEFAULT_HUTCHINSON_SAMPLES = 8;
const DEFAULT_SIGN_DRAWS = 4;
const DEFAULT_SEED = 0x6b617070;
/** keeps ‖w_l‖ off zero in lars-proxy */
const TINY_NORM = 1e-30;

interface Resolved {
  relativeStep: number;
  lossRelativeStep: number;
  hutchinsonSamples: number;
  signDraws: number;
  rng: ProbeRng;
}

function resolve(options: CurvatureOptions): Resolved {
  const relativeStep = options.relativeStep ?? DEFAULT_RELATIVE_STEP;
  const lossRelativeStep = options.lossRelativeStep ?? Math.max(relativeStep, MIN_LOSS_RELATIVE_STEP);
  const hutchinsonSamples = options.hutchinsonSamples ?? DEFAULT_HUTCHINSON_SAMPLES;
  const signDraws = options.signDraws ?? DEFAULT_SIGN_DRAWS;
  for (const [name, value] of [['relativeStep', relativeStep], ['lossRelativeStep', lossRelativeStep]] as const) {
    if (!(value > 0 && Number.isFinite(value))) throw new RangeError(`curvature ${name} must be a positive number, got ${value}`);
  }
  for (const [name, value] of [['hutchinsonSamples', hutchinsonSamples], ['signDraws', signDraws]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`curvature ${name} must be a positive integer, got ${value}`);
  }
  return { relativeStep, lossRelativeStep, hutchinsonSamples, signDraws, rng: options.rng ?? createRng(options.seed ?? DEFAULT_SEED) };
}

function checkGrads(groups: LayerGroup[], grads: tf.Tensor[][]): void {
  if (grads.length !== groups.length) {
    throw new RangeError(`curvature grads has ${grads.length} layers, the model has ${groups.length}`);
  }
  groups.forEach((group, l) => {
    const layerGrads = grads[l]!;
    if (layerGrads.length !== group.params.length) {
      throw new RangeError(`curvature grads[${l}] has ${layerGrads.length} tensors, layer ${group.name} has ${group.params.length} params`);
    }
  });
}

/** Calls `body` with g at the current weights: the given grads, or ones computed (and disposed) here. */
function withGrads<T>(groups: LayerGroup[], lossFn: LossFn, given: tf.Tensor[][] | undefined, body: (grads: tf.Tensor[][]) => T): T {
  if (given) {
    checkGrads(groups, given);
    return body(given);
  }
  const all = gradientsOf(lossFn, groups.flatMap((g) => g.params));
  let offset = 0;
  const grads = groups.map((g) => all.slice(offset, (offset += g.params.length)));
  try {
    return body(grads);
  } finally {
    tf.dispose(all);
  }
}

/** Stacks per-layer scalars into one [L] tensor (one read-back for all layers). */
function stackLayers(perLayer: (l: number) => tf.Scalar, layers: number): tf.Tensor1D {
  const scalars: tf.Scalar[] = [];
  try {
    for (let l = 0; l < layers; l++) scalars.push(perLayer(l));
    return tf.stack(scalars) as tf.Tensor1D;
  } finally {
    tf.dispose(scalars);
  }
}

/** Estimator 1: ĝ_l · [g_l(w + h ĝ_l) − g_l(w − h ĝ_l)] / 2h, one layer at a time. */
function gradientDifference(groups: LayerGroup[], lossFn: LossFn, grads: tf.Tensor[][], o: Resolved): tf.Tensor1D {
  return stackLayers((l) => {
    const params = groups[l]!.params;
    return withRestore(params, (originals) =>
      tf.tidy(() => {
        const dir = unitDirection(grads[l]!);
        const h = stepSize(originals, o.relativeStep);
        setPerturbed(params, originals, dir, h);
        const plus = gradientsOf(lossFn, params);
        setPerturbed(params, originals, dir, tf.neg(h));
        const minus = gradientsOf(lossFn, params);
        return tf.div(groupDot(dir, plus.map((p, i) => tf.sub(p, minus[i]!))), tf.mul(h, 2));
      }),
    );
  }, groups.length);
}

/** Estimator 2: [L(w + h ĝ_l) − 2 L(w) + L(w − h ĝ_l)] / h², forward passes only. */
function lossDifference(groups: LayerGroup[], lossFn: LossFn, grads: tf.Tensor[][], o: Resolved): tf.Tensor1D {
  const centre = tf.tidy(lossFn);
  try {
    return stackLayers((l) => {
      const params = groups[l]!.params;
      return withRestore(params, (originals) =>
        tf.tidy(() => {
          const dir = unitDirection(grads[l]!);
          const h = stepSize(originals, o.lossRelativeStep);
          setPerturbed(params, originals, dir, h);
          const plus = lossFn();
          setPerturbed(params, originals, dir, tf.neg(h));
          const minus = lossFn();
          return tf.div(tf.sub(tf.add(plus, minus), tf.mul(centre, 2)), tf.square(h));
        }),
      );
    }, groups.length);
  } finally {
    centre.dispose();
  }
}

/**
 * Estimator 5: all layers perturbed together along d = (s_1 ĝ_1, …, s_L ĝ_L), each by
 * its own h_l, so s_l ĝ_l · [g_l(w + hd) − g_l(w − hd)] / 2h_l = κ_l + Σ_{m≠l} s_l s_m
 * (h_m/h_l) ĝ_lᵀ H_lm ĝ_m. The signs come from a balanced design (balanced-probes.ts):
 * the cross terms cancel exactly once signDraws reaches the next power of two ≥ L.
 */
function allLayers(groups: LayerGroup[], lossFn: LossFn, grads: tf.Tensor[][], o: Resolved): tf.Tensor1D {
  const vars = groups.flatMap((g) => g.params);
  const { probes } = balancedProbes(groups.length, o.signDraws, o.rng);
  return withRestore(vars, (flatOriginals) => {
    let offset = 0;
    const originals = groups.map((g) => flatOriginals.slice(offset, (offset += g.params.length)));
    const dirs = tf.tidy(() => grads.map(unitDirection));
    const steps = tf.tidy(() => originals.map((w) => stepSize(w, o.relativeStep)));
    let sum: tf.Tensor1D = tf.zeros([groups.length]);
    try {
      for (const signs of probes) {
        const next = tf.tidy(() => {
          const gradientsAt = (sign: number): tf.Tensor[] => {
            groups.forEach((g, l) => setPerturbed(g.params, originals[l]!, dirs[l]!, tf.mul(steps[l]!, sign * signs[l]!)));
            return gradientsOf(lossFn, vars);
          };
          const plus = gradientsAt(1);
          const minus = gradientsAt(-1);
          let at = 0;
          const perLayer = groups.map((g, l) => {
            const diff = g.params.map((_, p) => tf.sub(plus[at + p]!, minus[at + p]!));
            at += g.params.length;
            return tf.div(tf.mul(groupDot(dirs[l]!, diff), signs[l]!), tf.mul(steps[l]!, 2));
          });
          return tf.add(sum, tf.stack(perLayer)) as tf.Tensor1D;
        });
        sum.dispose();
        sum = next;
      }
      return tf.div(sum, probes.length);
    } finally {
      sum.dispose();
      tf.dispose([dirs, steps]);
    }
  });
}

/** LARS as a CBLR instance (paper.md): κ_l ≈ ‖g_l‖ / ‖w_l‖. */
function larsProxy(groups: LayerGroup[], grads: tf.Tensor[][]): tf.Tensor1D {
  return stackLayers(
    (l) => tf.tidy(() => tf.div(tf.sqrt(sumSquares(grads[l]!)), tf.maximum(tf.sqrt(sumSquares(groups[l]!.params)), TINY_NORM))),
    groups.length,
  );
}

function hutchinsonSettings(o: Resolved): HutchinsonSettings {
  return { samples: o.hutchinsonSamples, relativeStep: o.relativeStep, rng: o.rng };
}

function estimate(
  groups: LayerGroup[],
  lossFn: LossFn,
  estimator: CurvatureEstimator,
  o: Resolved,
  grads: tf.Tensor[][] | undefined,
  diagonalOf: (layer: number) => Float32Array,
): number[] {
  return withGrads(groups, lossFn, grads, (g) => {
    if (estimator === 'hutchinson') return hutchinsonKappa(g, groups.map((_, l) => diagonalOf(l)));
    const kappa =
      estimator === 'gradient-difference' ? gradientDifference(groups, lossFn, g, o)
      : estimator === 'loss-difference' ? lossDifference(groups, lossFn, g, o)
      : estimator === 'all-layers' ? allLayers(groups, lossFn, g, o)
      : larsProxy(groups, g);
    try {
      return Array.from(kappa.dataSync());
    } finally {
      kappa.dispose();
    }
  });
}

/** κ_l for every layer with the chosen estimator; variables are left bit-exactly as found. */
export function estimateLayerCurvature(
  groups: LayerGroup[],
  lossFn: LossFn,
  estimator: CurvatureEstimator = 'gradient-difference',
  options: CurvatureOptions = {},
): number[] {
  const o = resolve(options);
  return estimate(groups, lossFn, estimator, o, options.grads, (l) => hutchinsonDiagonalOf(groups[l]!, lossFn, hutchinsonSettings(o)));
}

/** Hutchinson estimate of diag(H_ll), flattened over the layer's params in order (signed). */
export function hutchinsonDiagonal(
  groups: LayerGroup[],
  layer: number,
  lossFn: LossFn,
  options: Pick<CurvatureOptions, 'relativeStep' | 'rng' | 'seed'> & { samples?: number } = {},
): Float32Array {
  const group = groups[layer];
  if (!group) throw new RangeError(`layer ${layer} is out of range: the model has ${groups.length} layers`);
  return hutchinsonDiagonalOf(group, lossFn, hutchinsonSettings(resolve({ ...options, hutchinsonSamples: options.samples })));
}

/**
 * Estimator 3, element-wise secant from consecutive steps: c_i = Δg_i / Δw_i. Entries
 * whose step is ~0 (|Δw_i| ≤ minRelativeStep · max(|w_i(t)|, |w_i(t−1)|), or exactly 0)
 * are NaN: a float32 weight moved by less than that carries too few bits of Δw.
 */
export function secantCurvature(
  prevGrad: ArrayLike<number>,
  grad: ArrayLike<number>,
  prevWeight: ArrayLike<number>,
  weight: ArrayLike<number>,
  options: { minRelativeStep?: number } = {},
): Float32Array {
  const n = grad.length;
  if (prevGrad.length !== n || prevWeight.length !== n || weight.length !== n) {
    throw new RangeError(
      `secantCurvature needs equal lengths, got prevGrad ${prevGrad.length}, grad ${n}, prevWeight ${prevWeight.length}, weight ${weight.length}`,
    );
  }
  const minRelativeStep = options.minRelativeStep ?? 1e-6;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const w = weight[i]!;
    const wPrev = prevWeight[i]!;
    const dw = w - wPrev;
    const small = Math.abs(dw) <= minRelativeStep * Math.max(Math.abs(w), Math.abs(wPrev));
    out[i] = dw === 0 || small ? NaN : (grad[i]! - prevGrad[i]!) / dw;
  }
  return out;
}

/**
 * The oracle CBLR/MCLR call, for one step's batch, before the variables are updated:
 * results are cached, so asking twice (or asking 'hutchinson' after diagonalCurvature)
 * costs nothing. Make a new one per step; `options.grads` must stay alive while it is
 * used. Without `options.grads`, each estimator computes g itself (one pass each).
 */
export function createCurvatureOracle(groups: LayerGroup[], lossFn: LossFn, options: CurvatureOptions = {}): CurvatureOracle {
  const o = resolve(options);
  const kappas = new Map<CurvatureEstimator, number[]>();
  const diagonals = new Map<number, Float32Array>();
  const diagonalOf = (layer: number): Float32Array => {
    let diag = diagonals.get(layer);
    if (!diag) {
      diag = hutchinsonDiagonalOf(groups[layer]!, lossFn, hutchinsonSettings(o));
      diagonals.set(layer, diag);
    }
    return diag;
  };
  return {
    layerCurvature(estimator) {
      let kappa = kappas.get(estimator);
      if (!kappa) {
        kappa = estimate(groups, lossFn, estimator, o, options.grads, diagonalOf);
        kappas.set(estimator, kappa);
      }
      return kappa.slice();
    },
    diagonalCurvature(layer) {
      if (!Number.isInteger(layer) || layer < 0 || layer >= groups.length) {
        throw new RangeError(`layer ${layer} is out of range: the model has ${groups.length} layers`);
      }
      return diagonalOf(layer).map(Math.abs);
    },
  };
}
