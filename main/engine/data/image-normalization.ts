/**
 * Pixels to features and back. Stored pixels p ∈ 0 … 255 become
 * x = (p / 255 − mean[c]) / std[c] for channel c (channels interleaved, NHWC);
 * mean 0 and std 1 give plain [0, 1] scaling.
 */
import type { ImageNormalization } from './dataset';

/** x = p / 255: MNIST-style grayscale in [0, 1]. */
export const UNIT_SCALE: ImageNormalization = { mean: [0], std: [1] };

/** Per channel, the 256 feature values of the 256 possible pixel bytes. */
export function pixelTables(norm: ImageNormalization, channels: number): Float32Array[] {
  return Array.from({ length: channels }, (_, c) => {
    const mean = norm.mean[c] ?? norm.mean[0] ?? 0;
    const std = norm.std[c] ?? norm.std[0] ?? 1;
    const table = new Float32Array(256);
    for (let p = 0; p < 256; p++) table[p] = (p / 255 - mean) / std;
    return table;
  });
}

/** Channel-interleaved bytes (…, c0, c1, c2, …) to normalised floats. */
export function normalizePixels(pixels: Uint8Array, channels: number, norm: ImageNormalization): Float32Array {
  const tables = pixelTables(norm, channels);
  const out = new Float32Array(pixels.length);
  if (channels === 1) {
    const table = tables[0]!;
    for (let i = 0; i < pixels.length; i++) out[i] = table[pixels[i]!]!;
  } else {
    for (let i = 0; i < pixels.length; i++) out[i] = tables[i % channels]![pixels[i]!]!;
  }
  return out;
}

/** The inverse, rounded and clamped to a displayable byte. */
export function featureToPixel(x: number, channel: number, norm: ImageNormalization): number {
  const mean = norm.mean[channel] ?? norm.mean[0] ?? 0;
  const std = norm.std[channel] ?? norm.std[0] ?? 1;
  const p = Math.round((x * std + mean) * 255);
  return p < 0 ? 0 : p > 255 ? 255 : p;
}
