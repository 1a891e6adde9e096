/**
 * Colours for per-layer lines: a viridis-like gradient from the input layer
 * (violet) to the output layer (yellow-green, short of viridis's pale yellow so it
 * stays visible on white), so depth reads at a glance however many layers there are.
 */
type Rgb = [number, number, number];

const lightStops: Rgb[] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [192, 203, 38],
];

/** on a dark background the deep violet end would vanish: start lighter, end at full yellow */
const darkStops: Rgb[] = [
  [163, 120, 235],
  [96, 140, 230],
  [40, 175, 165],
  [120, 210, 100],
  [245, 228, 70],
];

export function layerColor(index: number, count: number, isDark = false): string {
  const stops = isDark ? darkStops : lightStops;
  const t = count <= 1 ? 0 : Math.min(1, Math.max(0, index / (count - 1)));
  const scaled = t * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(scaled));
  const f = scaled - i;
  const [a, b] = [stops[i]!, stops[i + 1]!];
  const channel = (k: 0 | 1 | 2) => Math.round(a[k] + (b[k] - a[k]) * f);
  return `rgb(${channel(0)}, ${channel(1)}, ${channel(2)})`;
}
