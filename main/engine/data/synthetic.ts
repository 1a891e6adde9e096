/**
 * Generated point clouds for quick experiments; every number comes from the given
 * Rng, so a seed reproduces the set exactly. Samples are divided evenly among the
 * classes (the first `samples mod classes` classes get one more) and returned in a
 * random order.
 */
import type { Rng } from '../rng';
import type { DataSplit } from './dataset';

export interface BlobsOptions {
  samples: number;
  classes: number;
  features: number;
  /** standard deviation of each blob, per feature */
  spread: number;
}

export interface SpiralsOptions {
  samples: number;
  arms: number;
  /** standard deviation of the Gaussian noise added to each coordinate (the spiral has radius 1) */
  noise: number;
}

/** Centres uniform in the box [−BLOB_BOX, BLOB_BOX]^features, as scikit-learn's make_blobs. */
export const BLOB_BOX = 10;

/** How many turns each spiral arm makes from the centre to radius 1. */
export const SPIRAL_TURNS = 1;

function classSizes(samples: number, classes: number): number[] {
  return Array.from({ length: classes }, (_, c) => Math.floor(samples / classes) + (c < samples % classes ? 1 : 0));
}

/** Rows appended class by class, then permuted into a random order. */
function shuffled(x: Float32Array, y: Int32Array, width: number, rng: Rng): DataSplit {
  const order = rng.permutation(y.length);
  const outX = new Float32Array(x.length);
  const outY = new Int32Array(y.length);
  order.forEach((from, row) => {
    outX.set(x.subarray(from * width, (from + 1) * width), row * width);
    outY[row] = y[from]!;
  });
  return { x: outX, y: outY, count: y.length };
}

/** Isotropic Gaussian blobs, one per class. */
export function makeBlobs(options: BlobsOptions, rng: Rng): DataSplit {
  const { samples, classes, features, spread } = options;
  const centres = Array.from({ length: classes }, () =>
    Array.from({ length: features }, () => (2 * rng.next() - 1) * BLOB_BOX),
  );
  const x = new Float32Array(samples * features);
  const y = new Int32Array(samples);
  let row = 0;
  classSizes(samples, classes).forEach((size, c) => {
    for (let k = 0; k < size; k++, row++) {
      for (let f = 0; f < features; f++) x[row * features + f] = centres[c]![f]! + spread * rng.normal();
      y[row] = c;
    }
  });
  return shuffled(x, y, features, rng);
}

/**
 * `arms` interleaved Archimedean spirals in the plane, one class each: arm a at
 * radius r ∈ [0.05, 1] has angle 2π·a/arms + 2π·SPIRAL_TURNS·r. Radii are stratified
 * along the arm (one point per equal slice, jittered), then coordinates get noise.
 */
export function makeSpirals(options: SpiralsOptions, rng: Rng): DataSplit {
  const { samples, arms, noise } = options;
  const x = new Float32Array(samples * 2);
  const y = new Int32Array(samples);
  let row = 0;
  classSizes(samples, arms).forEach((size, arm) => {
    for (let k = 0; k < size; k++, row++) {
      const r = 0.05 + 0.95 * ((k + rng.next()) / size);
      const angle = (2 * Math.PI * arm) / arms + 2 * Math.PI * SPIRAL_TURNS * r;
      x[2 * row] = r * Math.cos(angle) + noise * rng.normal();
      x[2 * row + 1] = r * Math.sin(angle) + noise * rng.normal();
      y[row] = arm;
    }
  });
  return shuffled(x, y, 2, rng);
}
