import { describe, expect, it } from 'vitest';
import { noiseEstimate, NoiseScaleTracker } from '../../../main/engine/diagnostics/noise-scale';
import { createRng } from '../../../main/engine/rng';

/**
 * A synthetic problem with the answer in closed form: per-sample gradients
 * g_i = G + ε_i, ε_i ~ N(0, diag(σ²)), so |G|² and tr(Σ) = Σσ² are known and
 * B_simple = Σσ² / |G|².
 */
function problem(dim: number) {
  const G = Array.from({ length: dim }, (_, j) => 0.2 * Math.sin(j + 1));
  const sigma = Array.from({ length: dim }, (_, j) => 0.5 + 0.5 * ((j * 7) % 5) / 5);
  const gradSquared = G.reduce((s, g) => s + g * g, 0);
  const traceSigma = sigma.reduce((s, v) => s + v * v, 0);
  return { G, sigma, gradSquared, traceSigma, bSimple: traceSigma / gradSquared };
}

describe('gradient noise scale (McCandlish et al. 2018, Appendix A.1)', () => {
  it('recovers |G|² and tr(Σ) exactly from the expected squared norms at two batch sizes', () => {
    const p = problem(10);
    const expected = (b: number) => p.gradSquared + p.traceSigma / b;
    const e = noiseEstimate({ smallBatch: 32, smallSquaredNorm: expected(32), bigBatch: 256, bigSquaredNorm: expected(256) });
    expect(e.gradSquared).toBeCloseTo(p.gradSquared, 10);
    expect(e.traceSigma).toBeCloseTo(p.traceSigma, 10);
    expect(() => noiseEstimate({ smallBatch: 64, smallSquaredNorm: 1, bigBatch: 64, bigSquaredNorm: 1 })).toThrow(/0 < b < B/);
  });

  it('is within 5 % of the closed form from sampled micro-batch and batch gradients', () => {
    const p = problem(50);
    const rng = createRng(7);
    const micro = 32;
    const micros = 8;
    const big = micro * micros;
    const tracker = new NoiseScaleTracker(0.99);
    for (let step = 0; step < 1500; step++) {
      const sums: number[][] = [];
      for (let m = 0; m < micros; m++) {
        const sum = new Array<number>(p.G.length).fill(0);
        for (let i = 0; i < micro; i++) for (let j = 0; j < p.G.length; j++) sum[j]! += p.G[j]! + p.sigma[j]! * rng.normal();
        sums.push(sum);
      }
      const sq = (v: number[]) => v.reduce((s, x) => s + x * x, 0);
      const smallSquaredNorm = sums.reduce((s, v) => s + sq(v.map((x) => x / micro)), 0) / micros;
      const whole = p.G.map((_, j) => sums.reduce((s, v) => s + v[j]!, 0) / big);
      tracker.add({ smallBatch: micro, smallSquaredNorm, bigBatch: big, bigSquaredNorm: sq(whole) });
    }
    const value = tracker.value()!;
    expect(Math.abs(value / p.bSimple - 1)).toBeLessThan(0.05);
  });

  it('has no value before a sample, or while |G|² is not positive', () => {
    const tracker = new NoiseScaleTracker();
    expect(tracker.value()).toBeNull();
    tracker.add({ smallBatch: 1, smallSquaredNorm: 1, bigBatch: 2, bigSquaredNorm: 2 });
    expect(tracker.value()).toBeNull();
    expect(() => new NoiseScaleTracker(1)).toThrow(/decay/);
  });
});
