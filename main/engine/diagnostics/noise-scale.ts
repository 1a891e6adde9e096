/**
 * The gradient noise scale B_simple = tr(Σ) / |G|² (McCandlish et al. 2018, "An
 * Empirical Model of Large-Batch Training", §2 and Appendix A.1): Σ is the
 * per-sample gradient covariance and G the true gradient. Batches much smaller
 * than B_simple are noise-dominated (doubling B nearly halves the steps);
 * much larger ones waste samples, so B_simple estimates the critical batch.
 *
 * From the squared norms of gradients at two batch sizes b < B (a micro-batch
 * or shard and the whole batch cost nothing extra), with E|G_b|² = |G|² + tr(Σ)/b:
 *   |G|²  ≈ (B·|G_B|² − b·|G_b|²) / (B − b)
 *   tr(Σ) ≈ (|G_b|² − |G_B|²) / (1/b − 1/B)
 * Both are unbiased but noisy; the ratio is taken of their exponential moving
 * averages (Appendix A.1), never of one step's values. Pure arithmetic, per
 * layer or for the whole network alike.
 */

export interface NoiseSample {
  /** the smaller batch size b and mean |G_b|² over the small batches of this step */
  smallBatch: number;
  smallSquaredNorm: number;
  /** the larger batch size B and |G_B|² of its gradient */
  bigBatch: number;
  bigSquaredNorm: number;
}

export interface NoiseEstimate {
  /** unbiased estimate of |G|² from this sample */
  gradSquared: number;
  /** unbiased estimate of tr(Σ) from this sample */
  traceSigma: number;
}

export function noiseEstimate(s: NoiseSample): NoiseEstimate {
  const { smallBatch: b, bigBatch: B } = s;
  if (!(b > 0 && B > b)) throw new RangeError(`the noise scale needs two batch sizes 0 < b < B, got b=${b}, B=${B}`);
  return {
    gradSquared: (B * s.bigSquaredNorm - b * s.smallSquaredNorm) / (B - b),
    traceSigma: (s.smallSquaredNorm - s.bigSquaredNorm) / (1 / b - 1 / B),
  };
}

/** EMAs of |G|² and tr(Σ), and their ratio: one per layer and one for the network. */
export class NoiseScaleTracker {
  private gradSquared = 0;
  private traceSigma = 0;
  private weight = 0;

  /** `decay` ∈ [0, 1): weight of the past (0.95 ≈ the last 20 samples) */
  constructor(private readonly decay = 0.95) {
    if (!(decay >= 0 && decay < 1)) throw new RangeError(`noise scale decay must be in [0, 1), got ${decay}`);
  }

  add(sample: NoiseSample): void {
    const e = noiseEstimate(sample);
    if (!Number.isFinite(e.gradSquared) || !Number.isFinite(e.traceSigma)) return;
    this.gradSquared = this.decay * this.gradSquared + (1 - this.decay) * e.gradSquared;
    this.traceSigma = this.decay * this.traceSigma + (1 - this.decay) * e.traceSigma;
    this.weight = this.decay * this.weight + (1 - this.decay);
  }

  /** B_simple from the bias-corrected averages; null before the first sample, or while either average is not positive (noise can make them so) */
  value(): number | null {
    if (this.weight === 0) return null;
    const g = this.gradSquared / this.weight;
    const s = this.traceSigma / this.weight;
    return g > 0 && s > 0 ? s / g : null;
  }
}

/** One part of a batch (a micro-batch or a shard): its sample count and the squared norm of its mean gradient, per layer. */
export interface GradientPart {
  samples: number;
  squaredNorms: number[];
}

/**
 * Each layer's sample, and the network's (squared norms and tr(Σ) add over layers), from
 * the parts of one batch and the squared norms of the whole batch's mean gradient. Parts
 * of unequal sizes b_i: the mean of |G_{b_i}|² has expectation |G|² + tr(Σ)·mean(1/b_i),
 * so the small batch is their harmonic mean. Null with fewer than two parts.
 */
export function noiseSamples(parts: readonly GradientPart[], bigSquaredNorms: readonly number[]): { layers: NoiseSample[]; network: NoiseSample } | null {
  if (parts.length < 2) return null;
  const bigBatch = parts.reduce((n, p) => n + p.samples, 0);
  const smallBatch = parts.length / parts.reduce((s, p) => s + 1 / p.samples, 0);
  const layers = bigSquaredNorms.map((big, l) => ({
    smallBatch,
    smallSquaredNorm: parts.reduce((s, p) => s + p.squaredNorms[l]!, 0) / parts.length,
    bigBatch,
    bigSquaredNorm: big,
  }));
  const network = {
    smallBatch,
    smallSquaredNorm: layers.reduce((s, l) => s + l.smallSquaredNorm, 0),
    bigBatch,
    bigSquaredNorm: layers.reduce((s, l) => s + l.bigSquaredNorm, 0),
  };
  return { layers, network };
}

/** B_simple of the network and of every layer, each from its own EMAs. */
export class NoiseScaleMonitor {
  private readonly network: NoiseScaleTracker;
  private readonly layers: NoiseScaleTracker[];

  constructor(layerCount: number, decay = 0.95) {
    this.network = new NoiseScaleTracker(decay);
    this.layers = Array.from({ length: layerCount }, () => new NoiseScaleTracker(decay));
  }

  /** adds one batch's parts; returns the smoothed values after it (null where not yet defined, or no sample) */
  add(parts: readonly GradientPart[] | null, bigSquaredNorms: readonly number[]): { network: number | null; layers: (number | null)[] } {
    const samples = parts ? noiseSamples(parts, bigSquaredNorms) : null;
    if (samples) {
      this.network.add(samples.network);
      samples.layers.forEach((s, l) => this.layers[l]?.add(s));
    }
    return { network: this.network.value(), layers: this.layers.map((t) => t.value()) };
  }
}
