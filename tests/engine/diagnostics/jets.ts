/**
 * Test reference: second-order Taylor-mode ("jet") arithmetic in float64, plain JS.
 * Every value carries (v, v′, v″), its value and first two derivatives along a line
 * t ↦ w + t·d through the weights, so the loss's jet gives d²L/dt² at t = 0 = dᵀHd
 * exactly (up to float64 rounding), with no step and nothing shared with the
 * finite-difference estimators. ReLU masks and max-pool choices are those of the
 * base point: the jet is the derivative of the piecewise-smooth loss on the piece
 * that contains w, which is the true Hessian wherever it exists.
 *
 * A null derivative means "identically zero" (parameters off the line, inputs), which
 * keeps the cost near three forward passes.
 */

export type Deriv = Float64Array | null;

export interface Jet {
  v: Float64Array;
  d: Deriv;
  dd: Deriv;
  shape: number[];
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function constant(values: ArrayLike<number>, shape: number[]): Jet {
  return { v: Float64Array.from(values), d: null, dd: null, shape };
}

/** a parameter on the line w + t·direction (direction null: off the line) */
export function parameter(values: ArrayLike<number>, shape: number[], direction: ArrayLike<number> | null): Jet {
  return { v: Float64Array.from(values), d: direction ? Float64Array.from(direction) : null, dd: null, shape };
}

// plain loops, not TypedArray.map: the Hessian of exactHessian takes n(n + 1)/2 passes

function plus(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}

function times(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! * b[i]!;
  return out;
}

function add(a: Deriv, b: Deriv): Deriv {
  if (!a) return b;
  if (!b) return a;
  return plus(a, b);
}

function scale(a: Deriv, s: number): Deriv {
  if (!a) return null;
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! * s;
  return out;
}

/** f bilinear: (f(a, b))″ = f(a″, b) + 2 f(a′, b′) + f(a, b″) */
export function bilinear(a: Jet, b: Jet, f: (x: Float64Array, y: Float64Array) => Float64Array, shape: number[]): Jet {
  const apply = (x: Deriv, y: Deriv): Deriv => (x && y ? f(x, y) : null);
  return {
    v: f(a.v, b.v),
    d: add(apply(a.d, b.v), apply(a.v, b.d)),
    dd: add(add(apply(a.dd, b.v), scale(apply(a.d, b.d), 2)), apply(a.v, b.dd)),
    shape,
  };
}

/** f linear */
export function linear(a: Jet, f: (x: Float64Array) => Float64Array, shape: number[]): Jet {
  return { v: f(a.v), d: a.d ? f(a.d) : null, dd: a.dd ? f(a.dd) : null, shape };
}

export function sum(a: Jet, b: Jet): Jet {
  return { v: plus(a.v, b.v), d: add(a.d, b.d), dd: add(a.dd, b.dd), shape: a.shape };
}

/** g applied element-wise, given g, g′ and g″ at v */
export function elementwise(a: Jet, g: (v: number) => [number, number, number]): Jet {
  const n = a.v.length;
  const v = new Float64Array(n);
  const d = a.d ? new Float64Array(n) : null;
  const dd = a.d || a.dd ? new Float64Array(n) : null;
  for (let i = 0; i < n; i++) {
    const [g0, g1, g2] = g(a.v[i]!);
    v[i] = g0;
    const di = a.d ? a.d[i]! : 0;
    if (d) d[i] = g1 * di;
    if (dd) dd[i] = g1 * (a.dd ? a.dd[i]! : 0) + g2 * di * di;
  }
  return { v, d, dd, shape: a.shape };
}

/** relu with the mask of the base point: linear on the piece that contains w */
export function relu(a: Jet): Jet {
  const mask = a.v.map((x) => (x > 0 ? 1 : 0));
  return linear(a, (x) => times(x, mask), a.shape);
}

export function tanh(a: Jet): Jet {
  return elementwise(a, (x) => {
    const y = Math.tanh(x);
    const s = 1 - y * y;
    return [y, s, -2 * y * s];
  });
}

/** x [B, I] · W [I, O] (+ bias [O]) */
export function dense(x: Jet, w: Jet, b: Jet | null): Jet {
  const [batch, inputs] = x.shape as [number, number];
  const outputs = w.shape[1]!;
  const matmul = (xs: Float64Array, ws: Float64Array): Float64Array => {
    const out = new Float64Array(batch * outputs);
    for (let r = 0; r < batch; r++) {
      for (let i = 0; i < inputs; i++) {
        const xv = xs[r * inputs + i]!;
        if (xv === 0) continue;
        for (let o = 0; o < outputs; o++) out[r * outputs + o]! += xv * ws[i * outputs + o]!;
      }
    }
    return out;
  };
  const y = bilinear(x, w, matmul, [batch, outputs]);
  return b ? sum(y, broadcastLast(b, y.shape)) : y;
}

/** a [C] broadcast over the leading axes of shape [..., C] */
export function broadcastLast(a: Jet, shape: number[]): Jet {
  const c = a.v.length;
  const n = sizeOf(shape);
  return linear(
    a,
    (x) => {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = x[i % c]!;
      return out;
    },
    shape,
  );
}

/** NHWC conv2d with TensorFlow's 'same'/'valid' padding, kernel [k, k, C, F] */
export function conv2d(x: Jet, kernel: Jet, stride: number, padding: 'same' | 'valid'): Jet {
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  const [k, , , filters] = kernel.shape as [number, number, number, number];
  const outSize = (n: number): number => (padding === 'same' ? Math.ceil(n / stride) : Math.floor((n - k) / stride) + 1);
  const [oh, ow] = [outSize(height), outSize(width)];
  const padTop = padding === 'same' ? Math.floor(Math.max((oh - 1) * stride + k - height, 0) / 2) : 0;
  const padLeft = padding === 'same' ? Math.floor(Math.max((ow - 1) * stride + k - width, 0) / 2) : 0;
  const conv = (xs: Float64Array, ks: Float64Array): Float64Array => {
    const out = new Float64Array(batch * oh * ow * filters);
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          const at = ((b * oh + i) * ow + j) * filters;
          for (let di = 0; di < k; di++) {
            const r = i * stride + di - padTop;
            if (r < 0 || r >= height) continue;
            for (let dj = 0; dj < k; dj++) {
              const c = j * stride + dj - padLeft;
              if (c < 0 || c >= width) continue;
              for (let ch = 0; ch < channels; ch++) {
                const xv = xs[((b * height + r) * width + c) * channels + ch]!;
                if (xv === 0) continue;
                const kAt = ((di * k + dj) * channels + ch) * filters;
                for (let f = 0; f < filters; f++) out[at + f]! += xv * ks[kAt + f]!;
              }
            }
          }
        }
      }
    }
    return out;
  };
  return bilinear(x, kernel, conv, [batch, oh, ow, filters]);
}

/** maxPool(size, size, 'valid') taking, in every window, the entry that is largest at the base point */
export function maxPool(x: Jet, size: number): Jet {
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  const [oh, ow] = [Math.floor(height / size), Math.floor(width / size)];
  const picks = new Int32Array(batch * oh * ow * channels);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let ch = 0; ch < channels; ch++) {
          let best = -1;
          for (let di = 0; di < size; di++) {
            for (let dj = 0; dj < size; dj++) {
              const at = ((b * height + i * size + di) * width + j * size + dj) * channels + ch;
              if (best < 0 || x.v[at]! > x.v[best]!) best = at;
            }
          }
          picks[o++] = best;
        }
      }
    }
  }
  return linear(x, (xs) => Float64Array.from(picks, (p) => xs[p]!), [batch, oh, ow, channels]);
}

/** mean over H and W: [B, H, W, C] → [B, C] */
export function spatialMean(x: Jet): Jet {
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  const n = height * width;
  return linear(
    x,
    (xs) => {
      const out = new Float64Array(batch * channels);
      for (let i = 0; i < xs.length; i++) {
        const ch = i % channels;
        const b = Math.floor(i / (n * channels));
        out[b * channels + ch]! += xs[i]! / n;
      }
      return out;
    },
    [batch, channels],
  );
}

/**
 * Batch norm in training mode (batch statistics over all axes but the last, biased
 * variance, as tf.moments), y = γ·(x − μ)/√(σ² + ε) + β, with the statistics' own jets.
 */
export function batchNorm(x: Jet, gamma: Jet, beta: Jet, epsilon: number): Jet {
  const channels = x.shape[x.shape.length - 1]!;
  const n = x.v.length / channels;
  const channelMean = (xs: Float64Array): Float64Array => {
    const out = new Float64Array(channels);
    for (let i = 0; i < xs.length; i++) out[i % channels]! += xs[i]! / n;
    return out;
  };
  const mean = linear(x, channelMean, [channels]);
  const u = sum(x, linear(broadcastLast(mean, x.shape), (m) => m.map((y) => -y), x.shape));
  const variance = linear(bilinear(u, u, times, x.shape), channelMean, [channels]);
  // s = (σ² + ε)^(-1/2): s′ = −½ q^(-3/2) q′, s″ = ¾ q^(-5/2) q′² − ½ q^(-3/2) q″
  const inverse = elementwise(variance, (q) => {
    const z = q + epsilon;
    return [z ** -0.5, -0.5 * z ** -1.5, 0.75 * z ** -2.5];
  });
  const normalized = bilinear(u, broadcastLast(inverse, x.shape), times, x.shape);
  const scaled = bilinear(normalized, broadcastLast(gamma, x.shape), times, x.shape);
  return sum(scaled, broadcastLast(beta, x.shape));
}

/** mean softmax cross-entropy of logits [B, K] against integer labels, as a scalar jet */
export function crossEntropy(logits: Jet, labels: readonly number[]): { v: number; d: number; dd: number } {
  const [batch, classes] = logits.shape as [number, number];
  let v = 0;
  let d = 0;
  let dd = 0;
  for (let b = 0; b < batch; b++) {
    const z = logits.v.subarray(b * classes, (b + 1) * classes);
    const z1 = logits.d ? logits.d.subarray(b * classes, (b + 1) * classes) : new Float64Array(classes);
    const z2 = logits.dd ? logits.dd.subarray(b * classes, (b + 1) * classes) : new Float64Array(classes);
    const top = Math.max(...z);
    const exps = Array.from(z, (x) => Math.exp(x - top));
    const total = exps.reduce((s, e) => s + e, 0);
    const p = exps.map((e) => e / total);
    const y = labels[b]!;
    // L = logsumexp(z) − z_y; L′ = p·z′ − z′_y; L″ = p·z″ + z′ᵀ(diag p − ppᵀ)z′ − z″_y
    const pz1 = p.reduce((s, pi, i) => s + pi * z1[i]!, 0);
    v += Math.log(total) + top - z[y]!;
    d += pz1 - z1[y]!;
    dd += p.reduce((s, pi, i) => s + pi * (z2[i]! + z1[i]! * z1[i]!), 0) - pz1 * pz1 - z2[y]!;
  }
  return { v: v / batch, d: d / batch, dd: dd / batch };
}
