/**
 * Estimator 4 of shared/paper.md: Hutchinson's diag(H_ll) ≈ mean_z z ⊙ (H_ll z), with
 * H_ll z from a central gradient difference along z/‖z‖ and the probes z drawn as a
 * balanced ±1 design (balanced-probes.ts), exact once the layer's next power of two
 * of them is used.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerGroup } from '../models/layer-group';
import { balancedProbes, type ProbeRng } from './balanced-probes';
import { gradientsOf, setPerturbed, stepSize, withRestore, type LossFn } from './perturbation';

export interface HutchinsonSettings {
  samples: number;
  relativeStep: number;
  rng: ProbeRng;
}

/** Estimator 4 for one layer: mean_z z ⊙ (H_ll z), H_ll z by a gradient difference along z/‖z‖. Flat, signed. */
export function hutchinsonDiagonalOf(group: LayerGroup, lossFn: LossFn, o: HutchinsonSettings): Float32Array {
  const n = group.params.reduce((total, p) => total + p.size, 0);
  const { probes } = balancedProbes(n, o.samples, o.rng);
  const root = Math.sqrt(n);
  return withRestore(group.params, (originals) => {
    const h = tf.tidy(() => stepSize(originals, o.relativeStep));
    let sum: tf.Tensor1D = tf.zeros([n]);
    try {
      for (const probe of probes) {
        const next = tf.tidy(() => {
          const z = tf.tensor1d(Float32Array.from(probe));
          let at = 0;
          const dir = group.params.map((p) => tf.div(tf.reshape(tf.slice(z, (at += p.size) - p.size, p.size), p.shape), root));
          setPerturbed(group.params, originals, dir, h);
          const plus = gradientsOf(lossFn, group.params);
          setPerturbed(group.params, originals, dir, tf.neg(h));
          const minus = gradientsOf(lossFn, group.params);
          const diff = tf.concat(plus.map((t, i) => tf.reshape(tf.sub(t, minus[i]!), [-1])));
          const hz = tf.div(tf.mul(diff, root), tf.mul(h, 2));
          return tf.add(sum, tf.mul(z, hz)) as tf.Tensor1D;
        });
        sum.dispose();
        sum = next;
      }
      return tf.tidy(() => tf.div(sum, probes.length).dataSync() as Float32Array);
    } finally {
      sum.dispose();
      h.dispose();
    }
  });
}

/**
 * The scalar the 'hutchinson' estimator reports: Σ_i ĝ_i² diag(H_ll)_i = ĝ_lᵀ diag(H_ll) ĝ_l,
 * κ_l with the off-diagonal couplings inside the layer dropped (equal to κ_l when H_ll
 * is diagonal). Signed, like the other estimators.
 */
export function hutchinsonKappa(grads: tf.Tensor[][], diagonals: Float32Array[]): number[] {
  const flat = tf.tidy(() => tf.concat(grads.flat().map((g) => tf.reshape(g, [-1]))).dataSync());
  let at = 0;
  return diagonals.map((diag) => {
    let normSq = 0;
    let weighted = 0;
    for (let i = 0; i < diag.length; i++) {
      const g = flat[at + i]!;
      normSq += g * g;
      weighted += g * g * diag[i]!;
    }
    at += diag.length;
    return normSq > 0 ? weighted / normSq : 0;
  });
}
