/**
 * Where a mean over seeds lies: a 95 % Student-t interval from three runs on,
 * the min–max range for two (a t-interval from two points is ±12.7 s and says
 * nothing), the value itself for one. Pure; shared by Compare, Report and the
 * results script.
 */

export type IntervalKind = 't95' | 'min-max' | 'single' | 'none';

export interface Interval {
  mean: number;
  lo: number;
  hi: number;
  /** (hi − lo) / 2: what tables print after "±" */
  halfWidth: number;
  /** finite values the interval is over */
  n: number;
  kind: IntervalKind;
}

/** two-sided 95 % quantiles t_{0.975, df} for df = 1 … 30 */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08,
  2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];
const Z975 = 1.959964;

/** t_{0.975, df}: the table up to 30, a Cornish–Fisher expansion beyond (error < 1e-4). */
export function tQuantile975(df: number): number {
  if (!(df >= 1) || !Number.isInteger(df)) throw new RangeError(`degrees of freedom must be a positive integer, got ${df}`);
  if (df <= T975.length) return T975[df - 1]!;
  const z = Z975;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}

export function interval(values: readonly (number | null | undefined)[]): Interval {
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const n = finite.length;
  if (n === 0) return { mean: NaN, lo: NaN, hi: NaN, halfWidth: NaN, n: 0, kind: 'none' };
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, lo: mean, hi: mean, halfWidth: 0, n, kind: 'single' };
  if (n === 2) {
    const lo = Math.min(finite[0]!, finite[1]!);
    const hi = Math.max(finite[0]!, finite[1]!);
    return { mean, lo, hi, halfWidth: (hi - lo) / 2, n, kind: 'min-max' };
  }
  const sd = Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const halfWidth = (tQuantile975(n - 1) * sd) / Math.sqrt(n);
  return { mean, lo: mean - halfWidth, hi: mean + halfWidth, halfWidth, n, kind: 't95' };
}

/** "97.12 ± 0.31" (scaled, e.g. 100 for percentages); the mean alone for one run, "—" for none. */
export function formatInterval(value: Interval, scale = 100, digits = 2): string {
  if (value.n === 0) return '—';
  const mean = (value.mean * scale).toFixed(digits);
  return value.n > 1 ? `${mean} ± ${(value.halfWidth * scale).toFixed(digits)}` : mean;
}

/** What a band or a "±" means, for legends and table headers. */
export function describeInterval(kind: IntervalKind): string {
  return kind === 't95' ? '95 % t-interval' : kind === 'min-max' ? 'min–max' : kind === 'single' ? 'one run' : 'no runs';
}

/** Whether two intervals leave a gap between them (the results' test of a claim). */
export function intervalsSeparate(a: Interval, b: Interval): boolean {
  if (a.n === 0 || b.n === 0) return false;
  return a.hi < b.lo || b.hi < a.lo;
}
