/**
 * Data-parallel shards give the numbers one thread gives (issue #10). The issue asks for 1e-4
 * relative over 50 steps for models without batch norm; these tests ask for equality, bit for
 * bit: a batch's gradient is summed from reduction parts fixed by the batch alone, along one tree
 * (main/engine/training/shard-ranges.ts), and threads take whole subtrees, so T = 1, 2 and 3 add
 * the same float32 partial sums in the same order. Before that design T = 2 differed from T = 1
 * by up to 1.7e-4 for CBLR and MCLR, whose float32 finite-difference curvature (accurate to about
 * 1e-4 at its default step) turned the reordered sums' 1e-7 into that.
 */
import { describe, expect, it } from 'vitest';
import type { LayerMetrics } from '../../../common/metrics';
import type { RunSpecInput } from '../../../common/spec';
import { trainRun } from '../../../main/engine/training/train-run';
import { RecordingSink } from '../training/record-sink';

process.env.BATCHSCOPE_QUIET = '1';

interface Case {
  batch: RunSpecInput['batch'];
  threads: number;
}

function specFor(optimizer: RunSpecInput['optimizer'], discard: boolean, threads: number, batch: RunSpecInput['batch'] = { size: 257, microBatch: 100 }, steps = 50): RunSpecInput {
  return {
    dataset: { kind: 'blobs', samples: 3000, classes: 6, features: 24, spread: 1.5 },
    model: { kind: 'mlp', hidden: [32, 16], activation: 'tanh' },
    optimizer,
    lr: { base: 0.05 },
    batch,
    ...(discard ? { discard: { fraction: 0.25 } } : {}),
    training: { steps, seed: 4, evalEverySteps: 25 },
    // the noise scale and trajectory every 5 steps too: their parts are the reduction parts
    diagnostics: { every: 1, curvatureEvery: 5, studyEvery: 5 },
    backend: 'wasm',
    threads,
  };
}

async function run(spec: RunSpecInput): Promise<RecordingSink> {
  const sink = new RecordingSink();
  const summary = await trainRun(spec, sink);
  expect(summary.status, summary.reason).toBe('completed');
  return sink;
}

const layerKeys = ['gradNorm', 'weightNorm', 'updateNorm', 'effectiveLr', 'lossUpdateShare', 'curvature', 'curvatureError', 'noiseScale', 'distanceFromInit', 'updateCosine'] as const satisfies readonly (keyof LayerMetrics)[];

/** every number the run reported, equal (Object.is: NaN equals NaN, 0 and −0 differ) */
function expectSameRun(where: string, one: RecordingSink, other: RecordingSink, steps: number): void {
  expect(other.steps).toHaveLength(steps);
  other.steps.forEach((s, i) => {
    const r = one.steps[i]!;
    for (const key of ['loss', 'accuracy', 'lossUpdate', 'discarded'] as const) expect(s[key], `${where} step ${s.step} ${key}`).toBe(r[key]);
  });
  expect(other.layerRows).toHaveLength(one.layerRows.length);
  other.layerRows.forEach((row, i) => {
    const ref = one.layerRows[i]!;
    for (const key of layerKeys) expect(row[key], `${where} step ${row.step} layer ${row.layer} ${key}`).toBe(ref[key]);
  });
  expect(other.evals.map((e) => e.testLoss)).toEqual(one.evals.map((e) => e.testLoss));
}

const optimizers: [string, RunSpecInput['optimizer']][] = [
  ['sgd', { name: 'sgd' }],
  ['lars', { name: 'lars', trustCoefficient: 0.01 }],
  ['cblr', { name: 'cblr', refreshEvery: 5 }],
  ['mclr', { name: 'mclr', refreshEvery: 5 }],
];

describe('shards give the same numbers as one thread, bit for bit', () => {
  it.each(optimizers)('%s over 50 steps, an odd batch in micro-batches, with and without discarding', async (name, optimizer) => {
    for (const discard of [false, true]) {
      const one = await run(specFor(optimizer, discard, 1));
      const two = await run(specFor(optimizer, discard, 2));
      expect(one.info!.threads).toBe(1);
      // really split: otherwise the comparison would hold trivially
      expect(two.info!.threads).toBe(2);
      const where = `${name}${discard ? ' discarding' : ''}`;
      expectSameRun(where, one, two, 50);
      if (discard) expect(two.steps.every((s) => s.discarded === Math.floor(0.25 * 257))).toBe(true);
      // the study diagnostics ran and had parts to work with (none when discarding: the kept samples are no random draw)
      if (!discard) expect(two.layerRows.some((r) => r.noiseScale !== null && Number.isFinite(r.noiseScale))).toBe(true);
    }
  }, 240_000);

  it.each<[string, Case]>([
    // no micro-batch: parts of 256–511 rows (here 2 of 300); 2 threads take one each
    ['B = 600, no micro-batch, 2 threads', { batch: { size: 600 }, threads: 2 }],
    // 3 parts of 266–267 rows for 3 threads: a cut of the tree that is not a power of two
    ['B = 800, no micro-batch, 3 threads', { batch: { size: 800 }, threads: 3 }],
    // 4 parts, 2 threads: each thread sums a subtree of two
    ['B = 1030, micro-batches of 515, 2 threads', { batch: { size: 1030, microBatch: 515 }, threads: 2 }],
  ])('CBLR, %s', async (_, { batch, threads }) => {
    const optimizer: RunSpecInput['optimizer'] = { name: 'cblr', refreshEvery: 5 };
    const one = await run(specFor(optimizer, false, 1, batch, 20));
    const many = await run(specFor(optimizer, false, threads, batch, 20));
    expect(many.info!.threads).toBe(threads);
    expectSameRun(`${threads} threads`, one, many, 20);
  }, 240_000);
});
