import { describe, expect, it } from 'vitest';
import { parseRunSpec, SpecError, validateRunSpec } from '../../common/spec';

const minimal = { dataset: { kind: 'blobs' }, model: { kind: 'mlp' }, training: { epochs: 1 } };

function issuesOf(input: unknown): { path: string; message: string }[] {
  const result = validateRunSpec(input);
  if (result.ok) throw new Error('expected the spec to be rejected');
  return result.issues;
}

describe('run spec schema', () => {
  it('fills defaults for a minimal spec', () => {
    const spec = parseRunSpec(minimal);
    expect(spec.optimizer).toEqual({ name: 'sgd', weightDecay: 0 });
    expect(spec.batch).toEqual({ size: 128, schedule: [] });
    expect(spec.model).toEqual({ kind: 'mlp', hidden: [256, 128], activation: 'relu' });
    expect(spec.lr.scaling).toBe('none');
    expect(spec.diagnostics.curvatureEstimator).toBe('gradient-difference');
    expect(spec.backend).toBe('auto');
    expect(spec.retries).toBe(0);
  });

  it('retries: a whole number from 0 to 10, else an error naming the field', () => {
    expect(parseRunSpec({ ...minimal, retries: 3 }).retries).toBe(3);
    expect(parseRunSpec({ ...minimal, retries: 10 }).retries).toBe(10);
    expect(issuesOf({ ...minimal, retries: 11 })).toEqual([{ path: 'retries', message: 'retries must be ≤ 10' }]);
    expect(issuesOf({ ...minimal, retries: -1 })).toEqual([{ path: 'retries', message: 'retries must be ≥ 0' }]);
    expect(issuesOf({ ...minimal, retries: 1.5 })).toEqual([{ path: 'retries', message: 'expected a whole number of retries from 0 to 10' }]);
    expect(issuesOf({ ...minimal, retries: 'twice' })).toEqual([{ path: 'retries', message: 'expected a whole number of retries from 0 to 10' }]);
    expect(() => parseRunSpec({ ...minimal, retries: 11 })).toThrow(/retries: retries must be ≤ 10/);
  });

  it('rejects unknown fields with their path', () => {
    const issues = issuesOf({ ...minimal, model: { kind: 'mlp', hiddn: [10] } });
    expect(issues.some((i) => i.path === 'model' && /hiddn/.test(i.message))).toBe(true);
    expect(issuesOf({ ...minimal, colour: 'red' }).some((i) => /colour/.test(i.message))).toBe(true);
  });

  it('rejects bad values with the path of the field', () => {
    expect(issuesOf({ ...minimal, batch: { size: -4 } })).toContainEqual(expect.objectContaining({ path: 'batch.size' }));
    expect(issuesOf({ ...minimal, optimizer: { name: 'lars', trustCoefficient: -1 } })).toContainEqual(
      expect.objectContaining({ path: 'optimizer.trustCoefficient' }),
    );
    expect(issuesOf({ ...minimal, optimizer: { name: 'rmsprop' } })[0]!.path).toBe('optimizer.name');
    expect(issuesOf({ ...minimal, model: { kind: 'cnn', conv: [{ filters: 0 }] } })).toContainEqual(
      expect.objectContaining({ path: 'model.conv.0.filters' }),
    );
  });

  it('rejects inconsistent combinations with the offending field', () => {
    expect(issuesOf({ ...minimal, batch: { size: 64, microBatch: 128 } })).toContainEqual({
      path: 'batch.microBatch',
      message: 'micro-batch (128) is larger than the batch (64)',
    });
    expect(issuesOf({ ...minimal, lr: { warmup: { epochs: 5 } } })).toContainEqual(expect.objectContaining({ path: 'lr.warmup.epochs' }));
    expect(issuesOf({ ...minimal, training: { steps: 10, epochs: 1 } })).toContainEqual(expect.objectContaining({ path: 'training.steps' }));
    expect(issuesOf({ ...minimal, training: {} })).toContainEqual(expect.objectContaining({ path: 'training.epochs' }));
    expect(issuesOf({ ...minimal, discard: { fraction: 0.2, threshold: 0.1 } })).toContainEqual(expect.objectContaining({ path: 'discard' }));
    expect(
      issuesOf({ ...minimal, training: { epochs: 4 }, batch: { size: 64, schedule: [{ epoch: 2, size: 128 }, { epoch: 1, size: 256 }] } }),
    ).toContainEqual(expect.objectContaining({ path: 'batch.schedule.1.epoch' }));
  });

  it('throws a SpecError whose message names every bad field', () => {
    try {
      parseRunSpec({ ...minimal, batch: { size: 0 }, lr: { base: -1 } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SpecError);
      expect((error as Error).message).toMatch(/batch\.size/);
      expect((error as Error).message).toMatch(/lr\.base/);
    }
  });
});
