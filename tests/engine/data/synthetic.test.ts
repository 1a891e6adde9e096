import { describe, expect, it } from 'vitest';
import { classCounts } from '../../../main/engine/data/sample-images';
import { makeBlobs, makeSpirals } from '../../../main/engine/data/synthetic';
import { createRng } from '../../../main/engine/rng';

describe('Gaussian blobs', () => {
  it('is deterministic under the seed, with even classes', () => {
    const options = { samples: 103, classes: 4, features: 3, spread: 0.5 };
    const a = makeBlobs(options, createRng(1));
    expect(makeBlobs(options, createRng(1))).toEqual(a);
    expect(makeBlobs(options, createRng(2)).x).not.toEqual(a.x);
    expect(a.x.length).toBe(103 * 3);
    expect(classCounts(a, 4)).toEqual([26, 26, 26, 25]);
  });

  it('spreads each class around its centre with the given deviation', () => {
    const blobs = makeBlobs({ samples: 4000, classes: 2, features: 2, spread: 0.5 }, createRng(3));
    for (const c of [0, 1]) {
      const xs: number[] = [];
      for (let i = 0; i < blobs.count; i++) if (blobs.y[i] === c) xs.push(blobs.x[2 * i]!);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
      expect(sd).toBeCloseTo(0.5, 1);
      expect(Math.abs(mean)).toBeLessThanOrEqual(10.5);
    }
  });
});

describe('spirals', () => {
  it('is deterministic under the seed, with one class per arm inside radius ~1', () => {
    const options = { samples: 300, arms: 3, noise: 0 };
    const a = makeSpirals(options, createRng(4));
    expect(makeSpirals(options, createRng(4))).toEqual(a);
    expect(makeSpirals(options, createRng(5)).x).not.toEqual(a.x);
    expect(classCounts(a, 3)).toEqual([100, 100, 100]);
    for (let i = 0; i < a.count; i++) {
      const r = Math.hypot(a.x[2 * i]!, a.x[2 * i + 1]!);
      expect(r).toBeGreaterThanOrEqual(0.05 - 1e-6);
      expect(r).toBeLessThanOrEqual(1 + 1e-6);
    }
  });

  it('puts arms apart: without noise, points of different arms at the same radius differ in angle by 2π/arms', () => {
    const s = makeSpirals({ samples: 2000, arms: 2, noise: 0 }, createRng(6));
    // the angle minus the arm's winding is the arm's offset: 0 for arm 0, π for arm 1
    for (let i = 0; i < s.count; i++) {
      const x = s.x[2 * i]!;
      const y = s.x[2 * i + 1]!;
      const r = Math.hypot(x, y);
      const offset = Math.atan2(y, x) - 2 * Math.PI * r;
      const expected = s.y[i] === 0 ? 0 : Math.PI;
      const diff = Math.abs(Math.atan2(Math.sin(offset - expected), Math.cos(offset - expected)));
      expect(diff).toBeLessThan(1e-4);
    }
  });
});
