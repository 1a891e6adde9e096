/**
 * Estimator 4 of shared/paper.md: Hutchinson's diag(H_ll) ≈ mean_z z ⊙ (H_ll z), with
 * H_ll z from a central gradient difference along z/‖z‖ and the probes z drawn as a
 * balanced ±1 design (balanced-probes.ts), exact once the layer's next power of two
 * of them is used.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerGroup } from '../models/layer-group';
import { balancedProbes, type ProbeRng } from './balanced-probes';
import { gradientsOf, setPerturbed, stepSize, withRestore } from './perturbation';
import { readValues } from '../training/read-back';

export interface HutchinsonSettings {
  samples: number;
  relativeStep: number;
  rng: ProbeRng;
}

export interface HutchinsonDiagonal {
  /** mean_z z ⊙ (H_ll z), flat over the layer's params, signed */
  diagonal: Float32Array;
  /** per-entry sample variance of z ⊙ (H_ll z) over the probes; null with a single probe */
  variance: Float32Array | null;
  /** probes used */
  probes: number;
  /** the probes were the whole Hadamard design: the average is exact (up to the difference step) */
  complete: boolean;
}

/** Estimator 4 for one layer: mean_z z ⊙ (H_ll z), H_ll z by a gradient difference along z/‖z‖. */
export async function hutchinsonDiagonalOf(group: LayerGroup, lossFn: () => tf.Scalar, o: HutchinsonSettings): Promise<HutchinsonDiagonal> {
  const n = group.params.reduce((total, p) => total + p.size, 0);
  const { probes, order } = balancedProbes(n, o.samples, o.rng);
  const root = Math.sqrt(n);
  const [sum, sumSq] = withRestore(group.params, (originals) => {
    const h = tf.tidy(() => stepSize(originals, o.relativeStep));
    let totals: [tf.Tensor1D, tf.Tensor1D] = [tf.zeros([n]), tf.zeros([n])];
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
          const sample = tf.mul(z, tf.div(tf.mul(diff, root), tf.mul(h, 2)));
          return [tf.add(totals[0], sample), tf.add(totals[1], tf.square(sample))] as [tf.Tensor1D, tf.Tensor1D];
        });
        tf.dispose(totals);
        totals = next;
      }
      return totals;
    } catch (error) {
      tf.dispose(totals);
      throw error;
    } finally {
      h.dispose();
    }
  });
  try {
    const [s, s2] = (await Promise.all([readValues(sum), readValues(sumSq)])) as Float32Array[];
    const count = probes.length;
    const diagonal = s!.map((v) => v / count);
    const variance = count > 1 ? s2!.map((v, i) => Math.max(v - count * diagonal[i]! * diagonal[i]!, 0) / (count - 1)) : null;
    return { diagonal, variance, probes: count, complete: count === order };
  } finally {
    tf.dispose([sum, sumSq]);
  }
}

/**
 * The scalar the 'hutchinson' estimator reports: Σ_i ĝ_i² diag(H_ll)_i = ĝ_lᵀ diag(H_ll) ĝ_l,
 * κ_l with the off-diagonal couplings inside the layer dropped (equal to κ_l when H_ll
 * is diagonal). Signed, like the other estimators. Its error is the standard error of
 * that sum over the probes (entries taken as independent), 0 for a complete design,
 * NaN for a single probe; it does not include the dropped couplings.
 */
export async function hutchinsonKappa(grads: tf.Tensor[][], diagonals: HutchinsonDiagonal[]): Promise<{ kappa: number[]; error: number[] }> {
  const joined = tf.tidy(() => tf.concat(grads.flat().map((g) => tf.reshape(g, [-1]))));
  const flat = await readValues(joined);
  joined.dispose();
  let at = 0;
  const kappa: number[] = [];
  const error: number[] = [];
  for (const { diagonal, variance, probes, complete } of diagonals) {
    let normSq = 0;
    let weighted = 0;
    let spread = 0;
    for (let i = 0; i < diagonal.length; i++) {
      const g2 = flat[at + i]! * flat[at + i]!;
      normSq += g2;
      weighted += g2 * diagonal[i]!;
      if (variance) spread += g2 * g2 * variance[i]!;
    }
    at += diagonal.length;
    kappa.push(normSq > 0 ? weighted / normSq : 0);
    error.push(complete || normSq === 0 ? 0 : variance ? Math.sqrt(spread / probes) / normSq : Number.NaN);
  }
  return { kappa, error };
}
