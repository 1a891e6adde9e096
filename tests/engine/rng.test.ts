import { describe, expect, it } from 'vitest';
import { createRng, deriveSeed } from '../../main/engine/rng';

const draws = (seed: number, n: number): number[] => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.next());
};

describe('createRng', () => {
  it('replays the same stream for the same seed and differs across seeds', () => {
    expect(draws(42, 20)).toEqual(draws(42, 20));
    expect(draws(42, 20)).not.toEqual(draws(43, 20));
    expect(draws(0, 5)).not.toEqual(draws(1, 5));
    // large seeds keep their high bits
    expect(draws(2 ** 40, 5)).not.toEqual(draws(0, 5));
  });

  it('is pinned: these values change only if the generator changes (and with it every seeded result)', () => {
    const rng = createRng(1234);
    const first = [rng.int(1000), rng.int(1000), rng.int(1000)];
    expect(first).toEqual([42, 620, 715]);
    expect(createRng(0).next()).toBe(0.6370551257859915);
  });

  it('next() stays in [0, 1) with a mean near 1/2', () => {
    const values = draws(7, 20000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
  });

  it('int(n) covers 0 … n−1 and rejects a bad n', () => {
    const rng = createRng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(rng.int(6));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(() => rng.int(0)).toThrow(RangeError);
    expect(() => rng.int(2.5)).toThrow(RangeError);
  });

  it('normal() has mean 0 and variance 1', () => {
    const rng = createRng(11);
    const n = 40000;
    const values = Array.from({ length: n }, () => rng.normal());
    const mean = values.reduce((a, b) => a + b, 0) / n;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
  });

  it('shuffle and permutation give permutations, seeded', () => {
    const perm = createRng(5).permutation(100);
    expect([...perm].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(createRng(5).permutation(100)).toEqual(perm);
    expect(createRng(6).permutation(100)).not.toEqual(perm);
    const words = ['a', 'b', 'c', 'd', 'e', 'f'];
    createRng(9).shuffle(words);
    expect([...words].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(createRng(1).permutation(0)).toEqual(new Int32Array(0));
  });

  it('shuffle is unbiased: every position of 3 items about equally often', () => {
    const rng = createRng(21);
    const firstCounts = [0, 0, 0];
    for (let t = 0; t < 6000; t++) {
      const a = [0, 1, 2];
      rng.shuffle(a);
      firstCounts[a[0]!]!++;
    }
    for (const c of firstCounts) expect(Math.abs(c - 2000)).toBeLessThan(150);
  });
});

describe('deriveSeed', () => {
  it('gives distinct deterministic sub-seeds', () => {
    expect(deriveSeed(1, 2)).toBe(deriveSeed(1, 2));
    expect(deriveSeed(1, 2)).not.toBe(deriveSeed(1, 3));
    expect(deriveSeed(1, 2)).not.toBe(deriveSeed(2, 1));
    expect(deriveSeed(1, 2, 3)).not.toBe(deriveSeed(1, 2));
  });
});
