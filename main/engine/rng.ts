/**
 * A small seeded pseudo-random generator for everything that must replay exactly:
 * dataset subsets and hold-outs, per-epoch shuffles, weight initialisation.
 *
 * Generator: mulberry32 (Tommy Ettinger's 32-bit state generator, period 2^32), its
 * state initialised by the splitmix32 finaliser of the seed, so neighbouring seeds
 * (0, 1, 2 …) give unrelated streams. Not cryptographic; 32 bits per draw.
 *
 * Streams are reproducible across platforms and Node versions: only 32-bit integer
 * arithmetic (`Math.imul`, shifts) and IEEE double division are used, and `normal()`
 * uses `Math.log`/`Math.sqrt`/`Math.cos`, which V8 computes identically everywhere
 * (fdlibm ports). Changing anything here changes every seeded result in the project.
 */

export interface Rng {
  /** uniform in [0, 1), a multiple of 2^-32 */
  next(): number;
  /** uniform integer in [0, n); n must be a positive integer ≤ 2^32 (bias < n / 2^32) */
  int(n: number): number;
  /** standard normal (mean 0, variance 1), Box–Muller; draws two uniforms every other call */
  normal(): number;
  /** Fisher–Yates shuffle in place: every ordering equally likely */
  shuffle<T>(array: T[] | Int32Array): void;
  /** a uniformly random permutation of 0 … n−1 */
  permutation(n: number): Int32Array;
}

const TWO_POW_32 = 4294967296;

/** splitmix32 finaliser: a bijection of uint32 with good avalanche. */
function mix32(value: number): number {
  let z = (value + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Folds any finite number (integers up to 2^53 keep all their bits) into a uint32 seed. */
function seedToUint32(seed: number): number {
  if (!Number.isFinite(seed)) throw new RangeError(`rng seed must be a finite number, got ${seed}`);
  const whole = Math.floor(Math.abs(seed));
  const low = whole % TWO_POW_32;
  const high = Math.floor(whole / TWO_POW_32) % TWO_POW_32;
  const sign = seed < 0 ? 1 : 0;
  return mix32(low ^ mix32(high ^ (sign << 31)));
}

/**
 * A seed for an independent sub-stream, e.g. `deriveSeed(runSeed, epoch)` for the
 * shuffle of one epoch, so the stream of one purpose does not depend on how many
 * draws another purpose made. Deterministic; the result is a uint32.
 */
export function deriveSeed(seed: number, ...salts: number[]): number {
  let h = seedToUint32(seed);
  // mixing h before combining keeps the order of the parts significant
  for (const salt of salts) h = mix32(mix32(h) ^ seedToUint32(salt));
  return h;
}

export function createRng(seed: number): Rng {
  let state = seedToUint32(seed);
  let spareNormal: number | undefined;

  function nextUint32(): number {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  function next(): number {
    return nextUint32() / TWO_POW_32;
  }

  function int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > TWO_POW_32) {
      throw new RangeError(`rng.int(n) needs a positive integer n ≤ 2^32, got ${n}`);
    }
    return Math.floor(next() * n);
  }

  function normal(): number {
    if (spareNormal !== undefined) {
      const value = spareNormal;
      spareNormal = undefined;
      return value;
    }
    // 1 − u lies in (0, 1], so the logarithm is finite
    const radius = Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  function shuffle<T>(array: T[] | Int32Array): void {
    for (let i = array.length - 1; i > 0; i--) {
      const j = int(i + 1);
      const held = array[i]!;
      array[i] = array[j]!;
      array[j] = held;
    }
  }

  function permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`rng.permutation(n) needs a non-negative integer, got ${n}`);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    shuffle(order);
    return order;
  }

  return { next, int, normal, shuffle, permutation };
}
