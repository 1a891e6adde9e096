/**
 * A fixed tiny problem for the optimizer tests: two dense layers (weight + bias)
 * with hand-set values, optionally a batch-norm group, gradients from a
 * separable quadratic g_i = a_i·w_i + b_i(t), and a plain-JS driver that runs a
 * reference update rule on number arrays beside the tfjs optimizer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { LayerGroup, ParamRole } from '../../../main/engine/models/layer-group';
import type { CurvatureOracle, LayerOptimizer } from '../../../main/engine/optimizers/optimizer';

/** [layer][param][element] */
export type Weights = number[][][];

export interface ParamDef {
  role: ParamRole;
  shape: number[];
  values: number[];
}

export interface LayerDef {
  name: string;
  kind: LayerGroup['kind'];
  params: ParamDef[];
}

export const twoLayers: LayerDef[] = [
  {
    name: 'dense_1',
    kind: 'dense',
    params: [
      { role: 'weight', shape: [2, 3], values: [0.5, -0.3, 0.8, 0.1, -0.7, 0.4] },
      { role: 'bias', shape: [3], values: [0.05, -0.02, 0.01] },
    ],
  },
  {
    name: 'dense_2',
    kind: 'dense',
    params: [
      { role: 'weight', shape: [3, 2], values: [0.2, -0.6, 0.9, -0.1, 0.3, 0.7] },
      { role: 'bias', shape: [2], values: [0.1, -0.2] },
    ],
  },
];

export const withBatchNorm: LayerDef[] = [
  ...twoLayers,
  {
    name: 'bn_1',
    kind: 'batchnorm',
    params: [
      { role: 'gamma', shape: [2], values: [1.0, 0.9] },
      { role: 'beta', shape: [2], values: [0.0, 0.05] },
    ],
  },
];

export function makeGroups(defs: LayerDef[]): LayerGroup[] {
  return defs.map((d) => ({
    name: d.name,
    kind: d.kind,
    params: d.params.map((p) => tf.variable(tf.tensor(p.values, p.shape))),
    roles: d.params.map((p) => p.role),
  }));
}

export function initialWeights(defs: LayerDef[]): Weights {
  return defs.map((d) => d.params.map((p) => [...p.values]));
}

export function readWeights(groups: LayerGroup[]): Weights {
  return groups.map((g) => g.params.map((p) => Array.from(p.dataSync())));
}

export function disposeGroups(groups: LayerGroup[]): void {
  for (const g of groups) for (const p of g.params) p.dispose();
}

/** a_i: the diagonal curvature of the quadratic, between 0.5 and 2.9 */
export function curvatureAt(l: number, p: number, i: number): number {
  return 0.5 + ((l * 7 + p * 3 + i) % 5) * 0.6;
}

/** g_i = a_i·w_i + 0.1·sin(1 + t + 2l + 3p + 0.7i) */
export function quadraticGradient(w: Weights, t: number): Weights {
  return w.map((layer, l) =>
    layer.map((param, p) => param.map((wi, i) => curvatureAt(l, p, i) * wi + 0.1 * Math.sin(1 + t + 2 * l + 3 * p + 0.7 * i))),
  );
}

export function norm(arrays: number[][]): number {
  let s = 0;
  for (const a of arrays) for (const x of a) s += x * x;
  return Math.sqrt(s);
}

export interface Trace {
  /** weights after each step */
  weights: Weights[];
  /** per-layer rates each step reported */
  rates: number[][];
}

export interface Run {
  steps: number;
  lr: (t: number) => number;
  grad?: (w: Weights, t: number) => Weights;
  /** the curvature oracle for step t, given the weights and gradients at that step */
  oracle?: (w: Weights, g: Weights, t: number) => CurvatureOracle | undefined;
}

export async function runOptimizer(optimizer: LayerOptimizer, groups: LayerGroup[], run: Run): Promise<Trace> {
  const trace: Trace = { weights: [], rates: [] };
  const gradient = run.grad ?? quadraticGradient;
  for (let t = 0; t < run.steps; t++) {
    const w = readWeights(groups);
    const g = gradient(w, t);
    const grads = g.map((layer, l) => layer.map((values, p) => tf.tensor(values, groups[l]!.params[p]!.shape)));
    const curvature = run.oracle?.(w, g, t);
    trace.rates.push(await optimizer.apply({ groups, grads, lr: run.lr(t), step: t, ...(curvature ? { curvature } : {}) }));
    tf.dispose(grads);
    trace.weights.push(readWeights(groups));
  }
  return trace;
}

/** A reference step: updates `w` in place and returns the per-layer rates it applied. */
export type ReferenceStep = (w: Weights, g: Weights, lr: number, t: number) => number[];

export function runReference(defs: LayerDef[], run: Run, step: ReferenceStep): Trace {
  const trace: Trace = { weights: [], rates: [] };
  const gradient = run.grad ?? quadraticGradient;
  const w = initialWeights(defs);
  for (let t = 0; t < run.steps; t++) {
    const g = gradient(w, t);
    trace.rates.push(step(w, g, run.lr(t), t));
    trace.weights.push(w.map((layer) => layer.map((param) => [...param])));
  }
  return trace;
}

export function expectClose(actual: number[], expected: number[], tolerance: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tolerance)) throw new Error(`${what}[${i}]: got ${a}, expected ${e} (±${tolerance})`);
  });
}

/** Element-wise agreement of weights and rates at every step, and proof the weights really moved. */
export function expectSameTrace(actual: Trace, expected: Trace, tolerance = 1e-5): void {
  expect(actual.weights.length).toBe(expected.weights.length);
  actual.weights.forEach((w, t) => {
    w.forEach((layer, l) => layer.forEach((param, p) => expectClose(param, expected.weights[t]![l]![p]!, tolerance, `step ${t} layer ${l} param ${p}`)));
    expectClose(actual.rates[t]!, expected.rates[t]!, tolerance * Math.max(1, ...expected.rates[t]!.map(Math.abs)), `step ${t} rates`);
  });
  const first = expected.weights[0]!.flat(2);
  const last = expected.weights[expected.weights.length - 1]!.flat(2);
  const moved = Math.max(...first.map((x, i) => Math.abs(x - last[i]!)));
  expect(moved, 'the weights should move enough for the comparison to mean something').toBeGreaterThan(1e-3);
}

/** Zero state shaped like the weights, for reference implementations. */
export function zerosLike(w: Weights): Weights {
  return w.map((layer) => layer.map((param) => param.map(() => 0)));
}
