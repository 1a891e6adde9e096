/** Plain-JS CBLR/MCLR pieces for the tests: the paper's rate and SGD-momentum on number arrays. */
import type { CurvatureLrSettings } from '../../../main/engine/optimizers/curvature-lr';
import { zerosLike, type Weights } from './tiny-problem';

/** clip(c / max(κ_l, κ_min), r_min, r_max); c = 1 or the geometric mean; unknown (NaN) κ → 1 */
export function referenceRatios(kappas: number[], s: CurvatureLrSettings): number[] {
  const known = kappas.filter((k) => Number.isFinite(k)).map((k) => Math.max(Math.abs(k), s.kappaMin));
  const c = s.mode === 'absolute' || known.length === 0 ? 1 : known.reduce((prod, k) => prod * k, 1) ** (1 / known.length);
  return kappas.map((k) => (Number.isFinite(k) ? Math.min(s.ratioMax, Math.max(s.ratioMin, c / Math.max(Math.abs(k), s.kappaMin))) : 1));
}

/** d = g + λw, v ← μv + d, w ← w − η_l·v, with η_l per layer */
export function referenceMomentum(s: CurvatureLrSettings) {
  let v: Weights | null = null;
  return (w: Weights, g: Weights, rates: number[]): void => {
    v ??= zerosLike(w);
    const buffer = v;
    w.forEach((layer, l) =>
      layer.forEach((param, p) =>
        param.forEach((wi, i) => {
          const d = g[l]![p]![i]! + s.weightDecay * wi;
          const vi = s.momentum * buffer[l]![p]![i]! + d;
          buffer[l]![p]![i] = vi;
          param[i] = wi - rates[l]! * vi;
        }),
      ),
    );
  };
}

/** sort-based median of |x| */
export function referenceMedianAbs(xs: number[]): number {
  const a = xs.map(Math.abs).sort((x, y) => x - y);
  if (a.length === 0) return Number.NaN;
  const mid = a.length >> 1;
  return a.length % 2 === 1 ? a[mid]! : (a[mid - 1]! + a[mid]!) / 2;
}
