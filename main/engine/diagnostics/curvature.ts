/**
 * Per-layer curvature κ_l = ĝ_lᵀ H_ll ĝ_l, the second derivative of the batch loss
 * along the layer's own gradient direction (Gao & Zhong 2020, arXiv 2012.08795;
 * estimators numbered as in shared/paper.md). Every estimator perturbs the
 * variables in place and leaves them bit-exactly as it found them (perturbation.ts).
 *
 * By default one forward pass at w first records the activation pattern (ReLU masks,
 * max-pool choices) and every perturbed pass replays it (frozen-activations.ts): the
 * differences then see the Hessian at w instead of the jumps of the kinks they cross.
 * Each κ_l comes with an error estimate (LayerCurvature.error, see each estimator).
 *
 * Cost in passes of `lossFn` (gradient passes unless noted), L layers, plus one
 * forward pass that records the pattern and gives L(w), plus one gradient pass for g
 * when `grads` is not given:
 *   gradient-difference  2 per layer (2L)
 *   loss-difference      4 forward passes per layer (±h and ±2h; 4L forward)
 *   all-layers           2 per sign draw for all layers at once (default: all next-power-of-two ≥ L draws)
 *   hutchinson           2 per probe per layer (2·samples·L)
 *   lars-proxy           0 (and no recording pass)
 *
 * With `shards` (threads holding replicas of the model at the same weights, with the same
 * loss), gradient-difference deals its layers out among the threads (layer-dealing.ts): each
 * thread records the pattern and, unless g is given, computes g itself, then its own layers'
 * passes. Every layer's pair is computed exactly as on one thread, so the
 * results are the same bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CurvatureEstimator } from '../../../common/spec';
import type { LayerGroup } from '../models/layer-group';
import type { CurvatureOracle, LayerCurvature } from '../optimizers/optimizer';
import { createRng } from '../rng';
import { hadamardOrder, type ProbeRng } from './balanced-probes';
import { dealLayers } from './layer-dealing';
import { allLayers, gradientDifference, larsProxy, lossDifference, type EstimatorSettings } from './finite-difference-estimators';
import { hutchinsonDiagonalOf, hutchinsonKappa, type HutchinsonDiagonal, type HutchinsonSettings } from './hutchinson';
import { freezeActivations, gradientsOf, type FrozenLoss, type LossFn } from './perturbation';
import { readValues } from '../training/read-back';

export type { LossFn, LayerCurvature };

export interface CurvatureOptions {
  /** h_l = relativeStep · max(‖w_l‖, 1) for the gradient-based estimators (default 1e-3) */
  relativeStep?: number;
  /**
   * h for loss-difference; default max(relativeStep, 1e-2). A float32 loss carries
   * rounding of ~1e-7·L, which a second difference divides by h²: on the tests' tiny
   * MLP relative step 1e-3 is 6–12 % off κ, 1e-4 useless, 1e-2 within 0.05 %. With the
   * activation pattern frozen such a step crosses no kink.
   */
  lossRelativeStep?: number;
  /**
   * Record the activation pattern at w and replay it at w ± h·d (default true). Off,
   * the differences cross ReLU kinks: at the default steps κ_l up to 27 % off on a small ReLU MLP, 98 % on a CNN (docs/methods.md).
   */
  freezeActivations?: boolean;
  /**
   * grads[l][p]: gradient of groups[l].params[p] of this same lossFn at the current
   * weights, used as the direction ĝ_l (and as ‖g_l‖ by lars-proxy, and as g(w) by the
   * error estimates). Computed from lossFn (one extra pass) when absent. Not disposed.
   */
  grads?: tf.Tensor[][];
  /** Hutchinson probes per layer (default 32; at most the next power of two ≥ the layer's size is used) */
  hutchinsonSamples?: number;
  /**
   * all-layers sign draws (default the next power of two ≥ L, the full design: fewer leave
   * cross-layer terms ĝ_lᵀH_lmĝ_m in κ_l, 3× κ on a 13-layer ResNet with 4 draws; more would repeat)
   */
  signDraws?: number;
  /** the run's seeded generator for Hutchinson probes and all-layers signs */
  rng?: ProbeRng;
  /** seed of a fresh generator when no rng is given (default a fixed one, so results replay) */
  seed?: number;
  /** other threads to share gradient-difference's layers with */
  shards?: CurvatureShards;
}

/**
 * Threads holding replicas of the model at the same weights, with the same loss
 * (step-curvature.ts builds one over a run's shard pool).
 */
export interface CurvatureShards {
  /** threads in all, this one included */
  readonly threads: number;
  /** ms of each layer's passes in the last split estimate, kept from step to step to deal the next one by */
  layerMs: number[] | null;
  /** hands the other threads the current weights and samples, and g where given (grads[l][p]) */
  prepare(grads: tf.Tensor[][] | null): Promise<void>;
  /**
   * Estimator 1's [κ_l, error_l] pairs of `layers`, flat, and each layer's ms, computed on thread
   * `shard` (1 … threads − 1) with g from `prepare` (givenGrads) or computed there; the request is
   * sent before this returns its promise.
   */
  gradientDifference(shard: number, layers: number[], givenGrads: boolean, settings: ShardedEstimateSettings): Promise<LayerPairs>;
}

/** Estimator 1's [κ_l, error_l] pairs of some layers, flat, and the ms each layer's passes took. */
export interface LayerPairs {
  pairs: Float32Array;
  layerMs: number[];
}

/** What a replica thread needs of the estimate's options to compute its layers as this thread would. */
export interface ShardedEstimateSettings {
  relativeStep: number;
  freezeActivations: boolean;
}

const DEFAULT_RELATIVE_STEP = 1e-3;
const MIN_LOSS_RELATIVE_STEP = 1e-2;
const DEFAULT_HUTCHINSON_SAMPLES = 32;
const DEFAULT_SEED = 0x6b617070;

interface Resolved extends EstimatorSettings {
  relativeStep: number;
  lossRelativeStep: number;
  freeze: boolean;
  hutchinsonSamples: number;
  signDraws: number;
  rng: ProbeRng;
}

function resolve(options: CurvatureOptions, layers: number): Resolved {
  const relativeStep = options.relativeStep ?? DEFAULT_RELATIVE_STEP;
  const lossRelativeStep = options.lossRelativeStep ?? Math.max(relativeStep, MIN_LOSS_RELATIVE_STEP);
  const hutchinsonSamples = options.hutchinsonSamples ?? DEFAULT_HUTCHINSON_SAMPLES;
  const signDraws = options.signDraws ?? hadamardOrder(Math.max(layers, 1));
  for (const [name, value] of [['relativeStep', relativeStep], ['lossRelativeStep', lossRelativeStep]] as const) {
    if (!(value > 0 && Number.isFinite(value))) throw new RangeError(`curvature ${name} must be a positive number, got ${value}`);
  }
  for (const [name, value] of [['hutchinsonSamples', hutchinsonSamples], ['signDraws', signDraws]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`curvature ${name} must be a positive integer, got ${value}`);
  }
  const freeze = options.freezeActivations ?? true;
  return { relativeStep, lossRelativeStep, freeze, hutchinsonSamples, signDraws, rng: options.rng ?? createRng(options.seed ?? DEFAULT_SEED) };
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

/** g at the current weights: the given grads (not owned), or ones computed here (owned, disposed by `release`). */
interface Grads {
  grads: tf.Tensor[][];
  release(): void;
}

function gradsAt(groups: LayerGroup[], lossFn: () => tf.Scalar, given: tf.Tensor[][] | undefined): Grads {
  if (given) {
    checkGrads(groups, given);
    return { grads: given, release: () => {} };
  }
  const all = gradientsOf(lossFn, groups.flatMap((g) => g.params));
  let offset = 0;
  return { grads: groups.map((g) => all.slice(offset, (offset += g.params.length))), release: () => tf.dispose(all) };
}

function hutchinsonSettings(o: Resolved): HutchinsonSettings {
  return { samples: o.hutchinsonSamples, relativeStep: o.relativeStep, rng: o.rng };
}

async function readPairs(pairs: tf.Tensor2D): Promise<LayerCurvature> {
  try {
    const values = await readValues(pairs);
    const layers = pairs.shape[0];
    return { kappa: Array.from({ length: layers }, (_, l) => values[2 * l]!), error: Array.from({ length: layers }, (_, l) => values[2 * l + 1]!) };
  } finally {
    pairs.dispose();
  }
}

/**
 * The shared state of one estimate (or one oracle): the frozen loss, recorded once at
 * the current weights on first use, and g. Variables are only ever moved inside
 * synchronous stretches (restored before any await), so estimates may interleave.
 */
class CurvatureSession {
  private frozenLoss: FrozenLoss | null = null;
  private gradients: Grads | null = null;
  private readonly diagonals = new Map<number, Promise<HutchinsonDiagonal>>();

  constructor(
    private readonly groups: LayerGroup[],
    private readonly plainLoss: LossFn,
    private readonly o: Resolved,
    private readonly given: tf.Tensor[][] | undefined,
    private readonly shards: CurvatureShards | undefined,
  ) {}

  private frozen(): FrozenLoss {
    this.frozenLoss ??= freezeActivations(this.plainLoss, this.o.freeze);
    return this.frozenLoss;
  }

  private grads(): tf.Tensor[][] {
    // g(w) is the same with or without the pattern replayed; the plain loss needs no recording pass
    this.gradients ??= gradsAt(this.groups, () => this.plainLoss(), this.given);
    return this.gradients.grads;
  }

  diagonal(layer: number): Promise<HutchinsonDiagonal> {
    let diag = this.diagonals.get(layer);
    if (!diag) {
      diag = hutchinsonDiagonalOf(this.groups[layer]!, this.frozen().lossFn, hutchinsonSettings(this.o));
      this.diagonals.set(layer, diag);
    }
    return diag;
  }

  /** Layers dealt out by dealLayers; the other threads' requests go out before this thread's own passes. */
  private async shardedGradientDifference(shards: CurvatureShards): Promise<LayerCurvature> {
    const { groups, o } = this;
    const threads = Math.min(shards.threads, groups.length);
    const dealt = dealLayers(groups.length, threads, shards.layerMs);
    const layersOf = (thread: number): number[] => dealt[thread]!;
    await shards.prepare(this.given ?? null);
    // threads dealt no layer are not asked
    const others = Array.from({ length: threads - 1 }, (_, i) => i + 1).filter((s) => layersOf(s).length > 0);
    const settings: ShardedEstimateSettings = { relativeStep: o.relativeStep, freezeActivations: o.freeze };
    const remote = Promise.allSettled(others.map((s) => shards.gradientDifference(s, layersOf(s), this.given !== undefined, settings)));
    // g and the pattern after the requests are out: the other threads compute theirs meanwhile;
    // should this thread's share fail, the others still finish with the shared weights and rows first
    const own = await this.gradientDifferencePairs(layersOf(0)).finally(() => remote);
    const settled = await remote;
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const byThread: [number, LayerPairs][] = [[0, own], ...settled.map((r, i): [number, LayerPairs] => [others[i]!, (r as PromiseFulfilledResult<LayerPairs>).value])];
    const kappa = new Array<number>(groups.length);
    const error = new Array<number>(groups.length);
    const layerMs = new Array<number>(groups.length);
    byThread.forEach(([thread, { pairs, layerMs: ms }]) =>
      layersOf(thread).forEach((l, j) => {
        kappa[l] = pairs[2 * j]!;
        error[l] = pairs[2 * j + 1]!;
        layerMs[l] = ms[j]!;
      }),
    );
    shards.layerMs = layerMs;
    return { kappa, error };
  }

  /** Estimator 1's pairs of `layers`, and each layer's ms: g first, then the pattern, as every thread does. */
  async gradientDifferencePairs(layers: number[]): Promise<LayerPairs> {
    const g = this.grads();
    const layerMs: number[] = [];
    const table = gradientDifference(this.groups, this.frozen().lossFn, g, this.o, layers, layerMs);
    try {
      return { pairs: Float32Array.from(await readValues(table)), layerMs };
    } finally {
      table.dispose();
    }
  }

  async estimate(estimator: CurvatureEstimator): Promise<LayerCurvature> {
    const { groups, o } = this;
    if (estimator === 'lars-proxy') {
      // needs no pattern: g alone (given, or from the plain loss)
      return readPairs(larsProxy(groups, this.grads()));
    }
    if (estimator === 'gradient-difference' && this.shards && this.shards.threads > 1 && groups.length > 1) {
      return this.shardedGradientDifference(this.shards);
    }
    const g = this.grads();
    const loss = this.frozen();
    if (estimator === 'hutchinson') {
      const diagonals: HutchinsonDiagonal[] = [];
      for (let l = 0; l < groups.length; l++) diagonals.push(await this.diagonal(l));
      return hutchinsonKappa(g, diagonals);
    }
    return readPairs(
      estimator === 'gradient-difference' ? gradientDifference(groups, loss.lossFn, g, o)
      : estimator === 'loss-difference' ? lossDifference(groups, loss.lossFn, g, loss.centre, o)
      : allLayers(groups, loss.lossFn, g, o),
    );
  }

  dispose(): void {
    this.gradients?.release();
    this.frozenLoss?.dispose();
    this.gradients = null;
    this.frozenLoss = null;
  }
}

/** κ_l (and its error estimate) for every layer with the chosen estimator; variables are left bit-exactly as found. */
export async function estimateLayerCurvature(
  groups: LayerGroup[],
  lossFn: LossFn,
  estimator: CurvatureEstimator = 'gradient-difference',
  options: CurvatureOptions = {},
): Promise<LayerCurvature> {
  const session = new CurvatureSession(groups, lossFn, resolve(options, groups.length), options.grads, options.shards);
  try {
    return await session.estimate(estimator);
  } finally {
    session.dispose();
  }
}

/**
 * A replica thread's share of a sharded gradient-difference estimate (CurvatureShards): the
 * pairs of `layers`, flat, computed as the thread that asked computes its own.
 */
export async function gradientDifferenceShare(
  groups: LayerGroup[],
  lossFn: LossFn,
  layers: number[],
  settings: ShardedEstimateSettings,
  grads?: tf.Tensor[][],
): Promise<LayerPairs> {
  const options = { relativeStep: settings.relativeStep, freezeActivations: settings.freezeActivations };
  const session = new CurvatureSession(groups, lossFn, resolve(options, groups.length), grads, undefined);
  try {
    return await session.gradientDifferencePairs(layers);
  } finally {
    session.dispose();
  }
}

/** Hutchinson estimate of diag(H_ll), flattened over the layer's params in order (signed). */
export async function hutchinsonDiagonal(
  groups: LayerGroup[],
  layer: number,
  lossFn: LossFn,
  options: Pick<CurvatureOptions, 'relativeStep' | 'rng' | 'seed' | 'freezeActivations'> & { samples?: number } = {},
): Promise<HutchinsonDiagonal> {
  if (!groups[layer]) throw new RangeError(`layer ${layer} is out of range: the model has ${groups.length} layers`);
  const session = new CurvatureSession(groups, lossFn, resolve({ ...options, hutchinsonSamples: options.samples }, groups.length), undefined, undefined);
  try {
    return await session.diagonal(layer);
  } finally {
    session.dispose();
  }
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
 * costs nothing, and the activation pattern and g (when not given) are computed once
 * for all estimators. Make a new one per step and dispose it after the step;
 * `options.grads` must stay alive while it is used.
 */
export interface DisposableCurvatureOracle extends CurvatureOracle {
  /** frees the recorded pattern and the computed g; call after the step's update */
  dispose(): void;
}

export function createCurvatureOracle(groups: LayerGroup[], lossFn: LossFn, options: CurvatureOptions = {}): DisposableCurvatureOracle {
  const session = new CurvatureSession(groups, lossFn, resolve(options, groups.length), options.grads, options.shards);
  const results = new Map<CurvatureEstimator, Promise<LayerCurvature>>();
  return {
    async layerCurvature(estimator) {
      let result = results.get(estimator);
      if (!result) {
        result = session.estimate(estimator);
        results.set(estimator, result);
      }
      const { kappa, error } = await result;
      return { kappa: kappa.slice(), error: error.slice() };
    },
    async diagonalCurvature(layer) {
      if (!Number.isInteger(layer) || layer < 0 || layer >= groups.length) {
        throw new RangeError(`layer ${layer} is out of range: the model has ${groups.length} layers`);
      }
      return (await session.diagonal(layer)).diagonal.map(Math.abs);
    },
    dispose: () => session.dispose(),
  };
}
