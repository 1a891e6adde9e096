import { describe, expect, it } from 'vitest';
import { loadPresets } from '../../main/api/presets';
import { planExperiment } from '../../common/sweep';

describe('shipped presets', () => {
  it('all validate and cover every claim of the paper', () => {
    const presets = loadPresets();
    expect(presets.map((p) => p.id)).toEqual([
      'smoke',
      'generalization-gap',
      'structure-vs-batch',
      'layerwise-methods',
      'discard-small-loss',
      'batch-schedule',
      'structure-vs-batch-cnn',
      'layerwise-methods-cnn',
      'discard-small-loss-cnn',
      'batch-schedule-cnn',
      'cifar10-resnet',
    ]);
    for (const p of presets) {
      const plan = planExperiment(p.spec);
      expect(plan.ok, p.id).toBe(true);
      expect(p.claim.length).toBeGreaterThan(20);
    }
    const layerwise = planExperiment(presets.find((p) => p.id === 'layerwise-methods')!.spec);
    if (!layerwise.ok) throw new Error();
    expect(new Set(layerwise.plan.runs.map((r) => r.spec.optimizer.name))).toEqual(new Set(['momentum', 'lars', 'lamb', 'cblr', 'mclr']));
    expect(new Set(layerwise.plan.runs.map((r) => r.spec.batch.size))).toEqual(new Set([4096, 8192]));
  });

  it('has CNN variants of the structural presets with three seeds, and a CIFAR-10 ResNet that uses the downloaded copy', () => {
    const presets = loadPresets();
    for (const id of ['structure-vs-batch', 'layerwise-methods', 'discard-small-loss', 'batch-schedule']) {
      const mlp = planExperiment(presets.find((p) => p.id === id)!.spec);
      const cnn = planExperiment(presets.find((p) => p.id === `${id}-cnn`)!.spec);
      if (!mlp.ok || !cnn.ok) throw new Error(id);
      expect(cnn.plan.runs.every((r) => r.spec.model.kind === 'cnn' && r.spec.dataset.kind === 'fashion-mnist'), id).toBe(true);
      expect(new Set(cnn.plan.runs.map((r) => r.spec.training.seed)), id).toEqual(new Set([0, 1, 2]));
      // the MLP presets repeat over the same three seeds
      expect(new Set(mlp.plan.runs.map((r) => r.spec.training.seed)), id).toEqual(new Set([0, 1, 2]));
      expect(cnn.plan.runs.length, id).toBe(mlp.plan.runs.length);
    }
    const cifar = planExperiment(presets.find((p) => p.id === 'cifar10-resnet')!.spec);
    if (!cifar.ok) throw new Error('cifar10-resnet');
    expect(cifar.plan.runs.every((r) => r.spec.model.kind === 'resnet' && r.spec.dataset.kind === 'cifar10' && !('dir' in r.spec.dataset && r.spec.dataset.dir))).toBe(true);
  });
});
