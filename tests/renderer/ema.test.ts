import { describe, expect, it } from 'vitest';
import { ema } from '../../renderer/src/charts/ema';

describe('ema', () => {
  it('leaves a series alone at weight 0 and is bias-corrected from the first point', () => {
    expect(ema([1, 2, 3], 0)).toEqual([1, 2, 3]);
    const smoothed = ema([2, 2, 2], 0.9);
    smoothed.forEach((v) => expect(v).toBeCloseTo(2));
  });

  it('keeps gaps as gaps', () => {
    expect(ema([1, null, 1], 0.5)[1]).toBeNull();
  });
});
