/**
 * Exponential moving average with bias correction (as TensorBoard's smoothing
 * slider): `weight` 0 leaves the series as it is, 0.99 smooths heavily. Gaps
 * (null, NaN) stay gaps and do not disturb the average.
 */
export function ema(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return values.slice();
  const w = Math.min(weight, 0.999);
  let average = 0;
  let seen = 0;
  return values.map((value) => {
    if (value === null || !Number.isFinite(value)) return null;
    average = average * w + (1 - w) * value;
    seen++;
    return average / (1 - w ** seen);
  });
}
