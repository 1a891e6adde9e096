import { describe, expect, it } from 'vitest';
import { parseRunSpec } from '../../common/spec';
import { makeBlobs } from '../../main/engine/data/synthetic';
import { createRng } from '../../main/engine/rng';
import { streamSeed } from '../../main/engine/seed-streams';
import { windowRunFor } from '../../main/gpu-window/window-run';

const train = makeBlobs({ samples: 100, classes: 2, features: 3, spread: 1 }, createRng(1));
const test = makeBlobs({ samples: 40, classes: 2, features: 3, spread: 1 }, createRng(2));
const dataset = { name: 'blobs', inputShape: [3], numClasses: 2, classNames: ['0', '1'], train, test, source: 'test' };
const spec = (extra: Record<string, unknown> = {}) =>
  parseRunSpec({ dataset: { kind: 'blobs', samples: 140 }, model: { kind: 'mlp', hidden: [4] }, batch: { size: 10, schedule: [{ epoch: 1, size: 20 }] }, training: { epochs: 2, trainEvalSamples: 30 }, ...extra });

describe('a run spec resolved for the GPU window', () => {
  it('carries the batch plan, the schedule, the data and seeded evaluation subsets, and lists what the window leaves out', () => {
    const { run, omitted, transfer } = windowRunFor(spec({ discard: { fraction: 0.1 }, optimizer: { name: 'sgd', lr: 0.3 } }), dataset);
    expect(run.plan.epochs.map((e) => [e.batchSize, e.steps])).toEqual([[10, 10], [20, 5]]);
    expect(run.lr.base).toBe(0.3);
    expect(run.backend).toBe('auto');
    expect(run.trainEval).toHaveLength(30);
    expect(new Set(run.trainEval).size).toBe(30);
    expect(run.testEval).toEqual(Int32Array.from({ length: 40 }, (_, i) => i));
    expect(transfer).toContain(train.x.buffer);
    expect(transfer).toContain(test.y.buffer);
    expect(omitted.join('\n')).toMatch(/diagnostics[\s\S]*discarding/);
  });

  it("evaluates trainRun's subsets: drawn from the run seed's trainEvalSubset and testEvalSubset streams", () => {
    const { run } = windowRunFor(spec({ training: { epochs: 2, seed: 11, trainEvalSamples: 30, testEvalSamples: 12 } }), dataset);
    const subset = (count: number, limit: number, stream: 'trainEvalSubset' | 'testEvalSubset') => createRng(streamSeed(11, stream)).permutation(count).slice(0, limit).sort();
    expect(run.trainEval).toEqual(subset(100, 30, 'trainEvalSubset'));
    expect(run.testEval).toEqual(subset(40, 12, 'testEvalSubset'));
  });

  it('refuses an optimizer that needs curvature, naming the field', () => {
    expect(() => windowRunFor(spec({ optimizer: { name: 'mclr' } }), dataset)).toThrow(/^optimizer\.name: 'mclr' needs per-layer curvature/);
  });
});
