import { describe, expect, it } from 'vitest';
import { loadPresets } from '../../main/api/presets';
import { planExperiment } from '../../common/sweep';

describe('shipped presets', () => {
  it('all validate and cover every claim of the paper', () => {
    const presets = loadPresets();
    expect(presets.map((p) => p.id)).toEqual(['smoke', 'generalization-gap', 'structure-vs-batch', 'layerwise-methods', 'discard-small-loss', 'batch-schedule']);
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
});
