/** Linear interpolation over a sampled curve, shared by chart axes and seed bands. */

/** y at x by linear interpolation over ascending xs; held constant beyond the ends. */
export function interpolate(xs: readonly number[], ys: readonly number[], x: number): number | null {
  const n = Math.min(xs.length, ys.length);
  if (n === 0) return null;
  if (x <= xs[0]!) return ys[0]!;
  if (x >= xs[n - 1]!) return ys[n - 1]!;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid;
    else hi = mid;
  }
  const x0 = xs[lo]!;
  const x1 = xs[hi]!;
  const t = x1 === x0 ? 0 : (x - x0) / (x1 - x0);
  return ys[lo]! + t * (ys[hi]! - ys[lo]!);
}
