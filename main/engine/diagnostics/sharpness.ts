/**
 * Sharpness: the top eigenvalue λ_max of the Hessian of the batch loss, for the whole
 * network and for each layer's diagonal block H_ll, by Lanczos iteration on
 * Hessian-vector products (the measure of Keskar et al. 2017 and Cohen et al. 2021;
 * Gao & Zhong's κ_l = ĝ_lᵀ H_ll ĝ_l is the same block's Rayleigh quotient along ĝ_l,
 * so κ_l ≤ λ_max(H_ll) always).
 *
 * Hv = [g(w + h v) − g(w − h v)] / 2h, central differences of the gradient with the
 * activation pattern of w replayed (frozen-activations.ts): no ReLU kink is crossed, and
 * on a piecewise-linear network the difference is exact up to the loss's third
 * derivative along v times h². Lanczos (full reorthogonalization) gives the
 * algebraically largest eigenvalue directly, negative dominant eigenvalues or not, and
 * converges in far fewer products than power iteration when the top eigenvalues are close
 * (power iteration's first version here stopped 10 % short on an MNIST MLP layer after 20).
 *
 * Cost per evaluation: 2 gradient passes per iteration per block (network + L layers),
 * iterations stop when the Ritz residual falls to `tolerance` (relative), after at least
 * COLD_MIN_ITERATIONS from a random start. The Ritz vectors of the last evaluation warm-start the next
 * (`SharpnessTracker`), which then needs fewer iterations, since the top eigenvector
 * turns slowly between evaluations.
 *
 * With `shards` (threads holding replicas of the model at the same weights, with the same
 * loss) the blocks are dealt out among the threads, always the same way for a given count of
 * threads and blocks (layer-dealing.ts's snake order), so each thread keeps its own blocks'
 * warm starts. Every block is computed exactly as on one thread: the results are the same
 * bit for bit. Should the dealing change (a batch-size schedule whose batch gets too small
 * for the run's threads), every thread drops its warm starts and that evaluation starts cold.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerGroup } from '../models/layer-group';
import { createRng } from '../rng';
import { freezeActivations, gradientsOf, groupDot, setPerturbed, stepSize, sumSquares, unitDirection, withRestore, type LossFn } from './perturbation';
import { readValues } from '../training/read-back';
import { dealLayers } from './layer-dealing';
import { symmetricEigen } from './small-symmetric-eigen';

export interface SharpnessOptions {
  /** most Lanczos iterations (Hessian-vector products) per block (default 20) */
  iterations?: number;
  /**
   * stop once the Ritz residual ‖Hx − θx‖ is ≤ tolerance·|θ| (default 3e-2: θ's own error is then
   * of the order of the residual squared over the spectral gap; on an MNIST MLP within 0.7 % of the
   * converged value, docs/methods.md)
   */
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

/** The options a tracker measures with, all given (what a replica thread needs to measure as this one does). */
export type SharpnessSettings = Required<SharpnessOptions>;

/** One block's top eigenvalue and the Lanczos iterations it took. */
export interface BlockEigen {
  lambda: number;
  iterations: number;
}

/** Threads holding replicas of the model at the same weights, with the same loss (step-curvature.ts builds one over a run's shard pool). */
export interface SharpnessShards {
  /** threads in all, this one included */
  readonly threads: number;
  /** hands the other threads the current weights and samples */
  prepare(): Promise<void>;
  /**
   * The top eigenvalues of `blocks` (0 the network, 1 + l layer l) on thread `shard` (1 … threads − 1),
   * warm-started from that thread's own last vectors; `evaluation` seeds cold starts. Sent before the promise is returned.
   */
  measureBlocks(shard: number, blocks: number[], evaluation: number, settings: SharpnessSettings, owner: SharpnessOwner): Promise<BlockEigen[]>;
}

/** Whose warm starts a replica keeps: one tracker's, for one dealing of the blocks (a new dealing starts cold). */
export interface SharpnessOwner {
  tracker: number;
  dealing: string;
}

let trackers = 0;

export interface SharpnessResult {
  /** λ_max of the whole Hessian */
  network: number;
  /** λ_max(H_ll) per layer (empty when perLayer is false; null for a skipped batch-norm layer) */
  layers: (number | null)[];
  /** Lanczos iterations (Hessian-vector products) used, all blocks together */
  iterations: number;
}

const DEFAULT_ITERATIONS = 20;
const DEFAULT_TOLERANCE = 3e-2;
/**
 * A cold (random) start is not stopped by the residual before this many products: the residual
 * only bounds the distance to *an* eigenvalue, and a start with little weight on the top
 * eigenvector first converges to λ₂. On the batch-norm test ResNet (B=16 and 8) and the ReLU CNN,
 * 40 random starts each: a block more than 5 % short in 3 of 960 block evaluations with no
 * minimum, 1 of 960 with 5, for 18 % more products (docs/methods.md, Sharpness). Warm starts
 * begin on the last top Ritz vector and keep a minimum of 1.
 */
const COLD_MIN_ITERATIONS = 5;
const DEFAULT_RELATIVE_STEP = 1e-3;
const DEFAULT_SEED = 0x73686172;
const TINY_NORM = 1e-30;

function randomUnit(vars: tf.Variable[], seed: number): tf.Tensor[] {
  const rng = createRng(seed);
  return tf.tidy(() => {
    const raw = vars.map((v) => tf.tensor(Float32Array.from({ length: v.size }, () => rng.normal()), v.shape, 'float32'));
    const norm = tf.sqrt(sumSquares(raw));
    return raw.map((t) => tf.div(t, norm));
  });
}

/** Hv for the block, v of unit norm; variables restored bit-exactly. */
function hessianVector(vars: tf.Variable[], lossFn: () => tf.Scalar, v: tf.Tensor[], relativeStep: number): tf.Tensor[] {
  return withRestore(vars, (originals) =>
    tf.tidy(() => {
      const h = stepSize(originals, relativeStep);
      setPerturbed(vars, originals, v, h);
      const plus = gradientsOf(lossFn, vars);
      setPerturbed(vars, originals, v, tf.neg(h));
      const minus = gradientsOf(lossFn, vars);
      const twoH = tf.mul(h, 2);
      return plus.map((p, i) => tf.div(tf.sub(p, minus[i]!), twoH));
    }),
  );
}

interface TopEigen {
  lambda: number;
  /** the Ritz vector of λ, unit norm: the next evaluation's start */
  vector: tf.Tensor[];
  /** Hessian-vector products used */
  iterations: number;
}

/** w − Σ_i (q_i·w) q_i, twice ("twice is enough" for orthogonality to working precision). */
function orthogonalize(w: tf.Tensor[], basis: tf.Tensor[][]): tf.Tensor[] {
  return tf.tidy(() => {
    let r = w;
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        const c = groupDot(q, r);
        r = r.map((t, i) => tf.sub(t, tf.mul(q[i]!, c)));
      }
    }
    return r;
  });
}

/**
 * The top (algebraically largest) eigenvalue of the block's Hessian by Lanczos with full
 * reorthogonalization, from a unit start vector. After k products the largest eigenvalue θ
 * of the k×k tridiagonal T_k approximates λ_max, and ‖H x − θ x‖ = β_k·|y_k| (y the unit
 * eigenvector of T_k for θ, x = Q_k y) bounds its error; iteration stops once that residual
 * falls to `tolerance`·|θ|. (Stopping on a small change of θ instead is unsafe: θ can stall
 * for a few iterations before it climbs to the next eigenvalue.) This converges in far fewer products than
 * power iteration when the top eigenvalues lie close together, and needs no second pass
 * when the dominant eigenvalue is negative.
 */
async function lanczosTop(
  vars: tf.Variable[],
  lossFn: () => tf.Scalar,
  start: tf.Tensor[],
  o: Required<Pick<SharpnessOptions, 'iterations' | 'tolerance' | 'relativeStep'>>,
  minIterations: number,
): Promise<TopEigen> {
  const basis: tf.Tensor[][] = [tf.tidy(() => unitDirection(start))];
  const alphas: number[] = [];
  const betas: number[] = [];
  let theta = Number.NaN;
  let y: number[] = [1];
  try {
    for (let k = 0; k < o.iterations; k++) {
      const q = basis[k]!;
      const hv = hessianVector(vars, lossFn, q, o.relativeStep);
      const [coefficients, residual] = tf.tidy(() => {
        const alpha = groupDot(q, hv);
        const r = orthogonalize(hv, basis);
        return [tf.keep(tf.stack([alpha, tf.sqrt(sumSquares(r))])), r.map((t) => tf.keep(t))] as const;
      });
      tf.dispose(hv);
      const [alpha, beta] = Array.from(await readValues(coefficients));
      coefficients.dispose();
      alphas.push(alpha!);
      const t = alphas.map((a, i) => alphas.map((_, j) => (i === j ? a : j === i + 1 ? betas[i]! : j === i - 1 ? betas[j]! : 0)));
      const eigen = symmetricEigen(t);
      theta = eigen.values[0]!;
      y = eigen.vectors[0]!;
      const bound = beta! * Math.abs(y[k]!);
      const done =
        !Number.isFinite(theta) ||
        !(beta! > TINY_NORM) || // an invariant subspace: θ is exact
        (k + 1 >= minIterations && bound <= o.tolerance * Math.abs(theta)) ||
        k + 1 === o.iterations;
      if (done) {
        tf.dispose(residual);
        break;
      }
      betas.push(beta!);
      basis.push(tf.tidy(() => residual.map((r) => tf.div(r, beta!))));
      tf.dispose(residual);
    }
    const vector = tf.tidy(() => unitDirection(basis[0]!.map((_, i) => tf.addN(y.map((c, j) => tf.mul(basis[j]![i]!, c))))));
    return { lambda: theta, vector, iterations: alphas.length };
  } finally {
    basis.forEach((q) => tf.dispose(q));
  }
}

function resolveSettings(options: SharpnessOptions): SharpnessSettings {
  const o: SharpnessSettings = {
    iterations: options.iterations ?? DEFAULT_ITERATIONS,
    tolerance: options.tolerance ?? DEFAULT_TOLERANCE,
    relativeStep: options.relativeStep ?? DEFAULT_RELATIVE_STEP,
    freezeActivations: options.freezeActivations ?? true,
    perLayer: options.perLayer ?? true,
    skipBatchNorm: options.skipBatchNorm ?? true,
    seed: options.seed ?? DEFAULT_SEED,
  };
  if (!Number.isInteger(o.iterations) || o.iterations < 1) throw new RangeError(`sharpness iterations must be a positive integer, got ${o.iterations}`);
  if (!(o.tolerance >= 0)) throw new RangeError(`sharpness tolerance must be ≥ 0, got ${o.tolerance}`);
  if (!(o.relativeStep > 0 && Number.isFinite(o.relativeStep))) throw new RangeError(`sharpness relativeStep must be a positive number, got ${o.relativeStep}`);
  return o;
}

/** The blocks' variables: index 0 the network, 1 + l layer l (null: a batch-norm layer left out). */
function blocksOf(groups: LayerGroup[], o: SharpnessSettings): (tf.Variable[] | null)[] {
  const measured = (g: LayerGroup): boolean => !(o.skipBatchNorm && g.kind === 'batchnorm');
  return [groups.flatMap((g) => g.params), ...(o.perLayer ? groups.map((g) => (measured(g) ? g.params : null)) : [])];
}

/** Start vectors kept between evaluations: index 0 the network, 1 + l layer l. */
export class SharpnessTracker {
  private vectors: (tf.Tensor[] | null)[] = [];
  private evaluations = 0;
  private readonly settings: SharpnessSettings;
  /** which tracker this is, for the replicas that keep warm starts on its behalf */
  private readonly id = trackers++;
  /** how the blocks were dealt out at the last evaluation ("threads/blocks") */
  private dealing: string | null = null;

  constructor(options: SharpnessOptions = {}) {
    this.settings = resolveSettings(options);
  }

  /** λ_max for the network and per layer at the current weights, on the batch that `lossFn` computes. */
  async measure(groups: LayerGroup[], lossFn: LossFn, shards?: SharpnessShards): Promise<SharpnessResult> {
    const blocks = blocksOf(groups, this.settings);
    const wanted = blocks.map((_, b) => b).filter((b) => blocks[b] !== null);
    const threads = shards ? Math.min(shards.threads, wanted.length) : 1;
    // fixed for a given count of threads and blocks, so every block keeps its thread and its warm start there
    const dealt = dealLayers(blocks.length, threads, null).map((own) => own.filter((b) => blocks[b] !== null));
    const owner: SharpnessOwner = { tracker: this.id, dealing: `${threads}/${blocks.length}` };
    if (this.dealing !== null && this.dealing !== owner.dealing) {
      // blocks changed threads: warm starts left on other threads would no longer match, so all start cold
      this.vectors.forEach((v) => v && tf.dispose(v));
      this.vectors = [];
    }
    this.dealing = owner.dealing;
    const evaluation = this.evaluations;
    const others = dealt.map((own, thread) => ({ thread, own })).filter(({ thread, own }) => thread > 0 && own.length > 0);
    let remote: Promise<PromiseSettledResult<BlockEigen[]>[]> = Promise.resolve([]);
    if (shards && others.length > 0) {
      await shards.prepare();
      remote = Promise.allSettled(others.map(({ thread, own }) => shards.measureBlocks(thread, own, evaluation, this.settings, owner)));
    }
    const results = new Map<number, BlockEigen>();
    // should this thread's blocks fail, the other threads' are still awaited before the error goes on
    const own = await this.measureBlocks(groups, lossFn, dealt[0]!, evaluation).finally(() => remote);
    own.forEach((r, i) => results.set(dealt[0]![i]!, r));
    for (const [i, settled] of (await remote).entries()) {
      if (settled.status === 'rejected') throw settled.reason;
      settled.value.forEach((r, j) => results.set(others[i]!.own[j]!, r));
    }
    this.evaluations += 1;
    const lambdas = blocks.map((_, b) => results.get(b)?.lambda ?? null);
    const iterations = [...results.values()].reduce((n, r) => n + r.iterations, 0);
    return { network: lambdas[0]!, layers: lambdas.slice(1), iterations };
  }

  /**
   * The top eigenvalues of `indices` (blocks as in blocksOf) at the current weights, warm-started
   * from this tracker's last vectors for them; `evaluation` seeds cold starts. A replica thread
   * calls this for the blocks dealt to it, with the evaluation count of the tracker that asked.
   */
  async measureBlocks(groups: LayerGroup[], lossFn: LossFn, indices: number[], evaluation: number): Promise<BlockEigen[]> {
    const o = this.settings;
    const blocks = blocksOf(groups, o);
    const out: BlockEigen[] = [];
    if (indices.length === 0) return out;
    const frozen = freezeActivations(lossFn, o.freezeActivations);
    try {
      for (const b of indices) {
        const vars = blocks[b];
        if (!vars) throw new RangeError(`sharpness block ${b} is not measured (a batch-norm layer left out, or out of range)`);
        const warm = this.vectors[b];
        const start = warm ?? randomUnit(vars, o.seed + 7919 * b + evaluation);
        // the start is used up either way: a failed evaluation leaves the block to start cold
        this.vectors[b] = null;
        const result = await lanczosTop(vars, frozen.lossFn, start, o, warm ? 1 : COLD_MIN_ITERATIONS).finally(() => tf.dispose(start));
        this.vectors[b] = result.vector;
        out.push({ lambda: result.lambda, iterations: result.iterations });
      }
    } finally {
      frozen.dispose();
    }
    return out;
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
