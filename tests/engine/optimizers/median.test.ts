import { describe, expect, it } from 'vitest';
import { medianAbs } from '../../../main/engine/optimizers/median';
import { referenceMedianAbs } from './curvature-reference';

describe('medianAbs', () => {
  it('takes the middle |x| for odd counts and the mean of the two middle ones for even counts', () => {
    expect(medianAbs([3, -1, 2])).toBe(2);
    expect(medianAbs([-4, 1, 3, -2])).toBe(2.5);
    expect(medianAbs([5])).toBe(5);
  });

  it('skips entries that are not finite and is NaN when none is left', () => {
    expect(medianAbs([NaN, 1, Infinity, -3, NaN])).toBe(2);
    expect(medianAbs([NaN, NaN])).toBeNaN();
    expect(medianAbs([])).toBeNaN();
  });

  it('agrees with a sort-based median on many arrays, duplicates included', () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    for (let n = 1; n < 200; n += 7) {
      const xs = Array.from({ length: n }, () => (random() > 0.7 ? Math.round(random() * 3) : random() * 10));
      expect(medianAbs(Float32Array.from(xs))).toBe(referenceMedianAbs(Array.from(Float32Array.from(xs))));
    }
  });
});
