/**
 * Median of |x| over the finite entries of `values`; NaN when none is finite.
 * An even count gives the mean of the two middle values. Quickselect, O(n):
 * MCLR takes it over every parameter of a layer at each curvature refresh.
 */
export function medianAbs(values: ArrayLike<number>): number {
  const a = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (Number.isFinite(x)) a[n++] = Math.abs(x);
  }
  if (n === 0) return Number.NaN;
  const finite = a.subarray(0, n);
  const upper = selectInPlace(finite, n >> 1);
  if (n % 2 === 1) return upper;
  // After selection every entry left of n/2 is ≤ the upper middle; the lower middle is their maximum.
  let lower = -Infinity;
  for (let i = 0; i < n >> 1; i++) lower = Math.max(lower, finite[i]!);
  return (lower + upper) / 2;
}

/** The k-th smallest entry (0-based); reorders `a` so that entries before k are ≤ it. */
function selectInPlace(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}
