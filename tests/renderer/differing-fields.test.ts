import { describe, expect, it } from 'vitest';
import { parseRunSpec, type RunSpec } from '../../common/spec';
import { describeRun, differingFields } from '../../renderer/src/compare/differing-fields';

const base = {
  name: 'sweep',
  dataset: { kind: 'mnist', trainLimit: 1000 },
  model: { kind: 'mlp', hidden: [64] },
  training: { epochs: 1 },
} as const;

function spec(overrides: Record<string, unknown> = {}): RunSpec {
  return parseRunSpec({ ...base, ...overrides });
}

describe('differingFields', () => {
  it('is empty for one spec and for identical specs', () => {
    expect(differingFields([spec()])).toEqual([]);
    expect(differingFields([spec(), spec()])).toEqual([]);
  });

  it('finds the swept batch size and optimizer of a grid', () => {
    const specs = [
      spec({ batch: { size: 128 } }),
      spec({ batch: { size: 4096 } }),
      spec({ batch: { size: 128 }, optimizer: { name: 'lars' } }),
      spec({ batch: { size: 4096 }, optimizer: { name: 'lars' } }),
    ];
    expect(differingFields(specs)).toEqual(['optimizer.name', 'batch.size']);
  });

  it('does not report hyperparameters that only one optimizer has, or defaults that come with the kind', () => {
    // sgd has no momentum; lars's default weight decay differs from sgd's: both follow from the name
    expect(differingFields([spec(), spec({ optimizer: { name: 'lars' } })])).toEqual(['optimizer.name']);
  });

  it('reports a hyperparameter that differs between runs of the same optimizer', () => {
    const specs = [
      spec({ optimizer: { name: 'sgd' } }),
      spec({ optimizer: { name: 'lars', trustCoefficient: 0.001 } }),
      spec({ optimizer: { name: 'lars', trustCoefficient: 0.02 } }),
    ];
    expect(differingFields(specs)).toEqual(['optimizer.name', 'optimizer.trustCoefficient']);
  });

  it('compares lists as whole values and counts a missing optional field as a difference', () => {
    const specs = [spec({ model: { kind: 'mlp', hidden: [64] } }), spec({ model: { kind: 'mlp', hidden: [64, 32] }, batch: { size: 256, microBatch: 64 } })];
    expect(differingFields(specs)).toEqual(['model.hidden', 'batch.size', 'batch.microBatch']);
  });

  it('compares model fields only between models of the same kind', () => {
    const specs = [spec(), spec({ model: { kind: 'cnn' } }), spec({ model: { kind: 'resnet', width: 8 } }), spec({ model: { kind: 'resnet', width: 16 } })];
    expect(differingFields(specs)).toEqual(['model.kind', 'model.width']);
  });
});

describe('describeRun', () => {
  it('names the differing values briefly', () => {
    const lars = spec({ optimizer: { name: 'lars', trustCoefficient: 0.02 }, batch: { size: 4096 }, training: { epochs: 1, seed: 3 } });
    expect(describeRun(lars, ['optimizer.name', 'batch.size', 'optimizer.trustCoefficient', 'training.seed'])).toBe('lars · B=4096 · trustCoefficient=0.02 · seed=3');
  });

  it('marks a field the spec does not have', () => {
    expect(describeRun(spec(), ['batch.microBatch'])).toBe('microBatch=—');
  });
});
