/**
 * The input gradient of a strided convolution, split by output phase (sub-pixel
 * decomposition): input row p + s*i only ever meets filter taps kh with
 * kh ≡ p + padTop (mod s), so each phase p is a stride-1 correlation of dy with
 * every s-th tap of the spatially flipped filter. Per axis this computes which taps
 * a phase uses and how dy must be padded (or, where negative, cropped) so that
 * every phase yields exactly ceil(inSize / s) rows.
 *
 *   dx[p + s*i] = sum_{m < taps} dy[i - before + m] * flipped[firstTap + s*m]
 *
 * where flipped[k] = W[F-1-k]. With s = 1 there is one phase: the usual
 * "full correlation with the flipped filter" of a transposed convolution.
 */

export interface AxisPhase {
  /** filter taps this phase uses (0: the phase's rows get no gradient at all) */
  taps: number;
  /** index of its first tap in the flipped filter; later taps follow every `stride` */
  firstTap: number;
  /** dy padding before / after along this axis (negative: rows to crop) */
  before: number;
  after: number;
}

/**
 * One entry per phase p = 0 … stride-1 along one spatial axis.
 * @param outSize dy's size along the axis; @param phaseSize ceil(inSize / stride)
 */
export function axisPhases(filterSize: number, stride: number, padBefore: number, outSize: number, phaseSize: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let p = 0; p < stride; p++) {
    const residue = (p + padBefore) % stride;
    const taps = residue >= filterSize ? 0 : Math.ceil((filterSize - residue) / stride);
    const shift = (p + padBefore - residue) / stride;
    const before = taps - 1 - shift;
    phases.push({
      taps,
      firstTap: filterSize - 1 - residue - stride * (taps - 1),
      before,
      after: phaseSize + taps - 1 - outSize - before,
    });
  }
  return phases;
}

/**
 * The column phases merged into one window: phase q's taps sit at `offsets[q]` in a
 * window of `width` taps that starts `before` columns ahead, so one convolution with
 * stride-many output-channel blocks computes all column phases at once, already
 * interleaved the way NHWC memory wants them ([.., j, q, c] is column j*s + q).
 */
export interface MergedPhases {
  width: number;
  before: number;
  offsets: number[];
}

export function mergeColumnPhases(phases: AxisPhase[]): MergedPhases {
  const used = phases.filter((ph) => ph.taps > 0);
  const before = Math.max(...used.map((ph) => ph.before));
  const offsets = phases.map((ph) => (ph.taps > 0 ? before - ph.before : 0));
  const width = Math.max(...phases.map((ph, q) => (ph.taps > 0 ? offsets[q]! + ph.taps : 0)));
  return { width, before, offsets };
}
