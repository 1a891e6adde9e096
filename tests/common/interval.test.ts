import { describe, expect, it } from 'vitest';
import { describeInterval, formatInterval, interval, intervalsSeparate, tQuantile975 } from '../../common/stats/interval';

describe('interval over seeds', () => {
  it('uses the Student t quantile: the table up to 30 degrees of freedom, an expansion that meets it beyond', () => {
    expect(tQuantile975(1)).toBe(12.706);
    expect(tQuantile975(4)).toBe(2.776);
    // published t_{0.975}: 40 → 2.0211, 60 → 2.0003, 120 → 1.9799
    expect(tQuantile975(40)).toBeCloseTo(2.0211, 3);
    expect(tQuantile975(60)).toBeCloseTo(2.0003, 3);
    expect(tQuantile975(120)).toBeCloseTo(1.9799, 3);
    expect(() => tQuantile975(0)).toThrow(/degrees of freedom/);
  });

  it('gives a 95 % t-interval from three values on (half-width t·s/√n)', () => {
    const v = interval([0.9, 0.92, 0.94]);
    // mean 0.92, s = 0.02, t_{0.975,2} = 4.303 → 4.303 · 0.02 / √3
    expect(v.kind).toBe('t95');
    expect(v.mean).toBeCloseTo(0.92, 12);
    expect(v.halfWidth).toBeCloseTo((4.303 * 0.02) / Math.sqrt(3), 12);
    expect(v.lo).toBeCloseTo(0.92 - v.halfWidth, 12);
    expect(v.hi).toBeCloseTo(0.92 + v.halfWidth, 12);
  });

  it('falls back to min–max for two seeds, the value for one, nothing for none; skips missing values', () => {
    expect(interval([0.9, NaN, 0.8, null])).toMatchObject({ kind: 'min-max', lo: 0.8, hi: 0.9, n: 2 });
    expect(interval([0.9, NaN, 0.8])!.halfWidth).toBeCloseTo(0.05, 12);
    expect(interval([0.5])).toMatchObject({ kind: 'single', lo: 0.5, hi: 0.5, halfWidth: 0 });
    expect(interval([])).toMatchObject({ kind: 'none', n: 0 });
  });

  it('formats mean ± half-width and says what the band is', () => {
    expect(formatInterval(interval([0.9, 0.92, 0.94]))).toBe(`92.00 ± ${((4.303 * 0.02 * 100) / Math.sqrt(3)).toFixed(2)}`);
    expect(formatInterval(interval([0.9]))).toBe('90.00');
    expect(formatInterval(interval([]))).toBe('—');
    expect(describeInterval('t95')).toMatch(/95 %/);
    expect(describeInterval('min-max')).toMatch(/min/);
  });

  it('tells separated intervals from overlapping ones', () => {
    expect(intervalsSeparate(interval([0.9, 0.91, 0.92]), interval([0.95, 0.96, 0.97]))).toBe(true);
    expect(intervalsSeparate(interval([0.9, 0.95, 0.92]), interval([0.93, 0.96, 0.97]))).toBe(false);
    expect(intervalsSeparate(interval([]), interval([0.5]))).toBe(false);
  });
});
