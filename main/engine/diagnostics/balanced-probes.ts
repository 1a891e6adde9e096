/**
 * Random ±1 probe vectors drawn as an orthogonal set rather than independently.
 *
 * Two estimators in paper.md average a product over random signs: Hutchinson's
 * diag(H) ≈ mean_z z ⊙ (H z) and the all-layers κ, whose cross-layer terms
 * s_l s_m ĝ_lᵀ H_lm ĝ_m cancel "in expectation". With independent signs the error
 * only shrinks as 1/√draws. Here probe k is z_k = D ⊙ column c_k of the Sylvester
 * Hadamard matrix of order N (the next power of two ≥ n), with D a random ±1 vector
 * and the columns c_k distinct and random. Each single probe is still a uniform
 * Rademacher vector (D scrambles the fixed column), so every estimate stays unbiased,
 * but the probes are mutually orthogonal: mean_k z_k,i z_k,j = δ_ij exactly once all
 * N columns are used, and the error is smaller than with independent draws before.
 */
import type { Rng } from '../rng';

/** The only part of the run's generator the probes need. */
export type ProbeRng = Pick<Rng, 'int'>;

export interface ProbeDesign {
  /** vector length */
  n: number;
  /** the order of the Hadamard design; more than N probes would only repeat */
  order: number;
  /** the probes, each a length-n vector of ±1 */
  probes: Int8Array[];
}

/** Smallest power of two ≥ n (n ≥ 1). */
export function hadamardOrder(n: number): number {
  let order = 1;
  while (order < n) order *= 2;
  return order;
}

/** Sylvester–Hadamard entry: (−1)^popcount(row & col). */
function hadamardSign(row: number, col: number): 1 | -1 {
  let x = row & col;
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1 ? -1 : 1;
}

/** `count` distinct integers from [0, order), in random order. */
function distinctColumns(order: number, count: number, rng: ProbeRng): number[] {
  if (count * 4 >= order) {
    const all = Array.from({ length: order }, (_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = i + rng.int(order - i);
      const held = all[i]!;
      all[i] = all[j]!;
      all[j] = held;
    }
    return all.slice(0, count);
  }
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(rng.int(order));
  return [...chosen];
}

/**
 * `requested` ±1 probes of length n (capped at the design order N = hadamardOrder(n):
 * all N probes already make the average exact, more would repeat them).
 */
export function balancedProbes(n: number, requested: number, rng: ProbeRng): ProbeDesign {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`probe length must be a positive integer, got ${n}`);
  if (n > 2 ** 30) throw new RangeError(`probe length ${n} is larger than the 2^30 this design supports`);
  if (!Number.isInteger(requested) || requested < 1) {
    throw new RangeError(`number of probes must be a positive integer, got ${requested}`);
  }
  const order = hadamardOrder(n);
  const scramble = new Int8Array(n);
  for (let i = 0; i < n; i++) scramble[i] = rng.int(2) === 0 ? -1 : 1;
  const probes = distinctColumns(order, Math.min(requested, order), rng).map((col) => {
    const z = new Int8Array(n);
    for (let i = 0; i < n; i++) z[i] = scramble[i]! * hadamardSign(i, col);
    return z;
  });
  return { n, order, probes };
}
