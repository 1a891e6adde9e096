/**
 * Which thread computes which layer of a curvature estimate split across threads
 * (curvature.ts, CurvatureShards), and which block of a sharpness evaluation (sharpness.ts,
 * always in snake order there, so that warm starts stay on their thread). A layer's gradient passes run the backward pass down to
 * it, so costs differ by layer, by as much as 12× on the CNN of the bench (layer 0 ≈ 600 ms
 * of passes at a 256-row sub-batch, the last ≈ 50 ms). Each estimate measures them; the
 * next one deals by those costs. The dealing never changes a result, only who computes it.
 */

/**
 * Layers per thread, each list ascending. With measured costs: longest first, each to the
 * least loaded thread (ties to the lower thread). Without: snake order (0, 1, …, T−1, T−1, …, 0,
 * 0, 1, …), which pairs the first layers, costliest as a rule, with the last.
 */
export function dealLayers(layers: number, threads: number, costMs: readonly number[] | null): number[][] {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`dealLayers: threads must be a positive integer, got ${threads}`);
  const dealt: number[][] = Array.from({ length: threads }, () => []);
  // a zero cost (a coarse timer) would pile every layer onto one thread: such costs count as unknown
  const known = costMs !== null && costMs.length === layers && costMs.every((c) => Number.isFinite(c) && c > 0);
  if (!known) {
    for (let l = 0; l < layers; l++) {
      const round = Math.floor(l / threads);
      const at = l % threads;
      dealt[round % 2 === 0 ? at : threads - 1 - at]!.push(l);
    }
    return dealt;
  }
  const load = new Array<number>(threads).fill(0);
  const order = Array.from({ length: layers }, (_, l) => l).sort((a, b) => costMs[b]! - costMs[a]! || a - b);
  for (const l of order) {
    let least = 0;
    for (let t = 1; t < threads; t++) if (load[t]! < load[least]!) least = t;
    dealt[least]!.push(l);
    load[least]! += costMs[l]!;
  }
  dealt.forEach((list) => list.sort((a, b) => a - b));
  return dealt;
}
