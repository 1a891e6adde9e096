/**
 * The finite-difference estimators of κ_l = ĝ_lᵀ H_ll ĝ_l (Gao & Zhong 2020; numbered as
 * in shared/paper.md), each returning an [L, 2] tensor of (κ_l, error_l) pairs for one
 * read-back. They move the variables in place and restore them exactly (perturbation.ts);
 * the loss they are given may replay a frozen activation pattern (curvature.ts decides).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerGroup } from '../models/layer-group';
import { balancedProbes, type ProbeRng } from './balanced-probes';
import { gradientsOf, groupDot, setPerturbed, stepSize, sumSquares, unitDirection, withRestore } from './perturbation';

/** What the estimators need of the resolved curvature options. */
export interface EstimatorSettings {
  relativeStep: number;
  lossRelativeStep: number;
  signDraws: number;
  rng: ProbeRng;
}

/** keeps ‖w_l‖ off zero in lars-proxy */
const TINY_NORM = 1e-30;

/** Stacks [κ_l, error_l] pairs of the given layers into one [layers.length, 2] tensor (one read-back for all). */
function stackLayers(perLayer: (l: number) => tf.Tensor1D, layers: readonly number[]): tf.Tensor2D {
  const rows: tf.Tensor1D[] = [];
  try {
    for (const l of layers) rows.push(perLayer(l));
    return tf.stack(rows) as tf.Tensor2D;
  } finally {
    tf.dispose(rows);
  }
}

const allOf = (groups: LayerGroup[]): number[] => groups.map((_, l) => l);

/**
 * |κ₊ − κ₋|/2 of the one-sided estimates κ± = ±ĝ·(g(w ± h ĝ) − g(w))/h, i.e.
 * |ĝ·(g₊ + g₋ − 2g)|/2h: about h·|L‴| on a smooth loss (more than the central
 * difference's O(h²) error, so a bound), large when the loss is not smooth within ±h.
 */
function oneSidedSpread(dir: tf.Tensor[], plus: tf.Tensor[], minus: tf.Tensor[], g: tf.Tensor[], twoH: tf.Scalar): tf.Scalar {
  return tf.div(tf.abs(groupDot(dir, plus.map((p, i) => tf.sub(tf.add(p, minus[i]!), tf.mul(g[i]!, 2))))), twoH);
}

/**
 * Estimator 1: ĝ_l · [g_l(w + h ĝ_l) − g_l(w − h ĝ_l)] / 2h, one layer at a time. Error: oneSidedSpread.
 * `layers` (default all) picks the rows: each layer's pair depends only on the weights, the loss
 * and g, so threads holding replicas of the model may compute different layers (shard-pool.ts).
 * `layerMs`, when given, receives the ms each layer's passes took (wall time of a backend that
 * computes as it is called: wasm, cpu), in the order of `layers`.
 */
export function gradientDifference(
  groups: LayerGroup[],
  lossFn: () => tf.Scalar,
  grads: tf.Tensor[][],
  o: Pick<EstimatorSettings, 'relativeStep'>,
  layers: readonly number[] = allOf(groups),
  layerMs?: number[],
): tf.Tensor2D {
  return stackLayers((l) => {
    const params = groups[l]!.params;
    const started = performance.now();
    const pair = withRestore(params, (originals) =>
      tf.tidy(() => {
        const dir = unitDirection(grads[l]!);
        const h = stepSize(originals, o.relativeStep);
        setPerturbed(params, originals, dir, h);
        const plus = gradientsOf(lossFn, params);
        setPerturbed(params, originals, dir, tf.neg(h));
        const minus = gradientsOf(lossFn, params);
        const twoH = tf.mul(h, 2);
        const kappa = tf.div(groupDot(dir, plus.map((p, i) => tf.sub(p, minus[i]!))), twoH);
        return tf.stack([kappa, oneSidedSpread(dir, plus, minus, grads[l]!, twoH as tf.Scalar)]) as tf.Tensor1D;
      }),
    );
    layerMs?.push(performance.now() - started);
    return pair;
  }, layers);
}

/**
 * Estimator 2: [L(w + h ĝ_l) − 2 L(w) + L(w − h ĝ_l)] / h², forward passes only.
 * Error: |κ(h) − κ(2h)| (three times the step error of κ(h), plus the float32
 * rounding of both).
 */
export function lossDifference(groups: LayerGroup[], lossFn: () => tf.Scalar, grads: tf.Tensor[][], centre: tf.Scalar, o: EstimatorSettings): tf.Tensor2D {
  return stackLayers((l) => {
    const params = groups[l]!.params;
    return withRestore(params, (originals) =>
      tf.tidy(() => {
        const dir = unitDirection(grads[l]!);
        const h = stepSize(originals, o.lossRelativeStep);
        const second = (step: tf.Scalar): tf.Scalar => {
          setPerturbed(params, originals, dir, step);
          const plus = lossFn();
          setPerturbed(params, originals, dir, tf.neg(step));
          const minus = lossFn();
          return tf.div(tf.sub(tf.add(plus, minus), tf.mul(centre, 2)), tf.square(step));
        };
        const kappa = second(h);
        const coarse = second(tf.mul(h, 2) as tf.Scalar);
        return tf.stack([kappa, tf.abs(tf.sub(kappa, coarse))]) as tf.Tensor1D;
      }),
    );
  }, allOf(groups));
}

/**
 * Estimator 5: all layers perturbed together along d = (s_1 ĝ_1, …, s_L ĝ_L), each by
 * its own h_l, so s_l ĝ_l · [g_l(w + hd) − g_l(w − hd)] / 2h_l = κ_l + Σ_{m≠l} s_l s_m
 * (h_m/h_l) ĝ_lᵀ H_lm ĝ_m. The signs come from a balanced design (balanced-probes.ts):
 * the cross terms cancel exactly once signDraws reaches the next power of two ≥ L.
 * Error: the mean over draws of the one-sided spread (see oneSidedSpread); it does
 * not include cross terms left uncancelled by too few draws.
 */
export function allLayers(groups: LayerGroup[], lossFn: () => tf.Scalar, grads: tf.Tensor[][], o: EstimatorSettings): tf.Tensor2D {
  const vars = groups.flatMap((g) => g.params);
  const { probes } = balancedProbes(groups.length, o.signDraws, o.rng);
  return withRestore(vars, (flatOriginals) => {
    let offset = 0;
    const originals = groups.map((g) => flatOriginals.slice(offset, (offset += g.params.length)));
    const dirs = tf.tidy(() => grads.map(unitDirection));
    const steps = tf.tidy(() => originals.map((w) => stepSize(w, o.relativeStep)));
    let sum: tf.Tensor2D = tf.zeros([groups.length, 2]);
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
            const p = plus.slice(at, at + g.params.length);
            const m = minus.slice(at, at + g.params.length);
            at += g.params.length;
            const twoH = tf.mul(steps[l]!, 2);
            const kappa = tf.div(tf.mul(groupDot(dirs[l]!, p.map((t, i) => tf.sub(t, m[i]!))), signs[l]!), twoH);
            return tf.stack([kappa, oneSidedSpread(dirs[l]!, p, m, grads[l]!, twoH as tf.Scalar)]);
          });
          return tf.add(sum, tf.stack(perLayer)) as tf.Tensor2D;
        });
        sum.dispose();
        sum = next;
      }
      return tf.div(sum, probes.length) as tf.Tensor2D;
    } finally {
      sum.dispose();
      tf.dispose([dirs, steps]);
    }
  });
}

/** LARS as a CBLR instance (paper.md): κ_l ≈ ‖g_l‖ / ‖w_l‖. Not an estimate of ĝᵀHĝ, so its error is NaN. */
export function larsProxy(groups: LayerGroup[], grads: tf.Tensor[][]): tf.Tensor2D {
  return stackLayers(
    (l) =>
      tf.tidy(() =>
        tf.stack([tf.div(tf.sqrt(sumSquares(grads[l]!)), tf.maximum(tf.sqrt(sumSquares(groups[l]!.params)), TINY_NORM)), tf.scalar(Number.NaN)]),
      ) as tf.Tensor1D,
    allOf(groups),
  );
}
