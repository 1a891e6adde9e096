import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planExperiment } from '../../common/sweep';
import { defaultDesignForm, formFromJson, toExperimentSpec } from '../../renderer/src/design/design-form';
import { groupIssues } from '../../renderer/src/design/field-issues';

describe('design form', () => {
  it('starts as a valid one-run experiment', () => {
    const result = planExperiment(toExperimentSpec(defaultDesignForm()));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.plan.runs).toHaveLength(1);
  });

  it('puts one choice in the run spec and several in the sweep', () => {
    const form = defaultDesignForm();
    form.optimizers.selected = ['sgd', 'lars'];
    form.batch.sizes = [128, 4096];
    form.training.seeds = [7];
    const spec = toExperimentSpec(form) as { optimizer?: unknown; batch: { size?: number }; training: { seed?: number }; sweep: Record<string, unknown> };
    expect(spec.optimizer).toBeUndefined();
    expect(spec.batch.size).toBeUndefined();
    expect(spec.training.seed).toBe(7);
    expect(spec.sweep.batchSize).toEqual([128, 4096]);
    expect((spec.sweep.optimizer as { name: string }[]).map((o) => o.name)).toEqual(['sgd', 'lars']);
    const result = planExperiment(spec);
    expect(result.ok && result.plan.runs.map((r) => r.point)).toEqual([
      { batchSize: 128, optimizer: 'sgd' },
      { batchSize: 128, optimizer: 'lars' },
      { batchSize: 4096, optimizer: 'sgd' },
      { batchSize: 4096, optimizer: 'lars' },
    ]);
  });

  it('survives a round trip through a saved spec', () => {
    const form = defaultDesignForm();
    form.optimizers.selected = ['momentum', 'cblr'];
    form.optimizers.byName.cblr!.refreshEvery = 5;
    form.lr.values = [0.05, 0.1];
    form.lr.warmup = { unit: 'epochs', amount: 0.5 };
    form.lr.decay.kind = 'step';
    form.lr.decay.milestones = [1, 2];
    form.model.kind = 'cnn';
    form.discard = { enabled: true, withoutToo: true, variants: [{ by: 'threshold', threshold: 0.01, fromEpoch: 1 }] };
    form.batch.schedules = [[], [{ epoch: 1, size: 512 }]];
    form.retries = 2;
    form.diagnostics.sharpnessEvery = 100;
    form.diagnostics.noiseScale = false;
    const saved = JSON.parse(JSON.stringify(toExperimentSpec(form))) as unknown;
    expect(saved).toMatchObject({ retries: 2, diagnostics: { sharpnessEvery: 100, noiseScale: false } });
    const loaded = formFromJson(saved);
    expect(loaded.ok).toBe(true);
    if (loaded.ok) expect(toExperimentSpec(loaded.form)).toEqual(toExperimentSpec(form));
  });

  it('reports a bad value at the path of its field', () => {
    const form = defaultDesignForm();
    form.lr.values = [-1];
    form.batch.microBatch = 100_000;
    const result = planExperiment(toExperimentSpec(form));
    expect(result.ok).toBe(false);
    if (!result.ok) expect([...groupIssues(result.issues).keys()].sort()).toEqual(['lr.base']);
    form.lr.values = [0.1];
    const second = planExperiment(toExperimentSpec(form));
    if (!second.ok) expect([...groupIssues(second.issues).keys()]).toEqual(['batch.microBatch']);
    form.batch.microBatch = undefined;
    form.retries = 11;
    const third = planExperiment(toExperimentSpec(form));
    expect(third.ok).toBe(false);
    if (!third.ok) expect([...groupIssues(third.issues).keys()]).toEqual(['retries']);
  });

  it('sweeps discarding against none, and schedules against a fixed batch', () => {
    const form = defaultDesignForm();
    form.discard = { enabled: true, withoutToo: true, variants: [{ by: 'fraction', fraction: 0.2 }] };
    form.batch.schedules = [[], [{ epoch: 0, size: 64 }, { epoch: 1, size: 256 }]];
    const result = planExperiment(toExperimentSpec(form));
    expect(result.ok && result.plan.runs.map((r) => r.point)).toEqual([
      { discard: 'none', batchSchedule: 'fixed' },
      { discard: 'none', batchSchedule: '64@0→256@1' },
      { discard: '20%', batchSchedule: 'fixed' },
      { discard: '20%', batchSchedule: '64@0→256@1' },
    ]);
  });

  it("files a swept schedule's run-level problem under that schedule", () => {
    const form = defaultDesignForm();
    form.batch.schedules = [[], [{ epoch: 1, size: 64 }, { epoch: 1, size: 256 }]];
    const result = planExperiment(toExperimentSpec(form));
    expect(result.ok).toBe(false);
    if (!result.ok) expect([...groupIssues(result.issues).keys()]).toEqual(['sweep.batchSchedule.1.1.epoch']);
  });

  it("files a swept optimizer's run-level problem under that optimizer's card", () => {
    const form = defaultDesignForm();
    form.optimizers.selected = ['sgd', 'cblr'];
    form.optimizers.byName.cblr!.ratioMin = 10;
    form.optimizers.byName.cblr!.ratioMax = 1;
    const result = planExperiment(toExperimentSpec(form));
    expect(result.ok).toBe(false);
    if (!result.ok) expect([...groupIssues(result.issues).keys()]).toEqual(['sweep.optimizer.1.ratioMin']);
  });

  it('rejects a file that is not an experiment spec, naming the field', () => {
    const loaded = formFromJson({ dataset: { kind: 'mnist' }, model: { kind: 'mlp', hidden: 'wide' } });
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) expect(loaded.problems.join()).toMatch(/^model\.hidden/);
  });
});

describe('design form and the shipped presets', () => {
  const dir = join(import.meta.dirname, '../../resources/presets');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it.each(files)('%s loads into the form and plans the same runs', (file) => {
    const preset = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { spec: unknown };
    const loaded = formFromJson(preset.spec);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    const original = planExperiment(preset.spec);
    const fromForm = planExperiment(toExperimentSpec(loaded.form));
    expect(fromForm.ok && original.ok).toBe(true);
    if (fromForm.ok && original.ok) expect(fromForm.plan.runs).toEqual(original.plan.runs);
  });
});

describe('field messages', () => {
  it('reads "required" for a missing value and drops the grid point under a swept entry', () => {
    const cifar = defaultDesignForm();
    cifar.dataset.kind = 'cifar10';
    const missing = planExperiment(toExperimentSpec(cifar));
    if (!missing.ok) expect(groupIssues(missing.issues).get('dataset.dir')?.[0]?.message).toBe('required');

    const form = defaultDesignForm();
    form.optimizers.selected = ['sgd', 'mclr'];
    form.optimizers.byName.mclr!.ratioMin = 10;
    form.optimizers.byName.mclr!.ratioMax = 1;
    const swept = planExperiment(toExperimentSpec(form));
    if (!swept.ok) expect(groupIssues(swept.issues).get('sweep.optimizer.1.ratioMin')?.[0]?.message).toBe('ratioMin is larger than ratioMax');
  });

  it('names the bound a number is out of', () => {
    const form = defaultDesignForm();
    form.training.epochs = 0;
    form.batch.microBatch = 0;
    const result = planExperiment(toExperimentSpec(form));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const byPath = groupIssues(result.issues);
    expect(byPath.get('training.epochs')?.[0]?.message).toBe('must be > 0');
    expect(byPath.get('batch.microBatch')?.[0]?.message).toMatch(/^must be (> 0|≥ 1)$/);
  });
});
