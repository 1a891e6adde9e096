/**
 * The mean of several curves (repeats of one configuration over seeds) with
 * the band of their interval at every x. Pure; drawn by Compare and Report.
 */
import { interpolate } from './interpolate';
import { interval, type IntervalKind } from './interval';

export interface Band {
  x: number[];
  mean: (number | null)[];
  lower: (number | null)[];
  upper: (number | null)[];
  /** the widest kind used along the line (t95 where three seeds cover x) */
  kind: IntervalKind;
}

/**
 * Mean and band of several curves on the grid of the densest one; each curve
 * counts only within its own x range (a run that stopped early drops out
 * instead of being held at its last value).
 */
export function bandOf(curves: readonly { x: readonly number[]; y: readonly (number | null)[] }[]): Band {
  const clean = curves
    .map((c) => {
      const xs: number[] = [];
      const ys: number[] = [];
      for (let i = 0; i < Math.min(c.x.length, c.y.length); i++) {
        const v = c.y[i];
        if (v !== null && v !== undefined && Number.isFinite(v) && Number.isFinite(c.x[i]!)) {
          xs.push(c.x[i]!);
          ys.push(v);
        }
      }
      return { xs, ys };
    })
    .filter((c) => c.xs.length > 0);
  const grid = clean.reduce<number[]>((best, c) => (c.xs.length > best.length ? c.xs : best), []);
  const band: Band = { x: [...grid], mean: [], lower: [], upper: [], kind: 'none' };
  const rank: Record<IntervalKind, number> = { none: 0, single: 1, 'min-max': 2, t95: 3 };
  for (const x of grid) {
    const values = clean.filter((c) => x >= c.xs[0]! && x <= c.xs[c.xs.length - 1]!).map((c) => interpolate(c.xs, c.ys, x));
    const v = interval(values);
    band.mean.push(v.n ? v.mean : null);
    band.lower.push(v.n ? v.lo : null);
    band.upper.push(v.n ? v.hi : null);
    if (rank[v.kind] > rank[band.kind]) band.kind = v.kind;
  }
  return band;
}
