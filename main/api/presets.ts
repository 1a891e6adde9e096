/** The paper-reproduction presets shipped in resources/presets, validated on load. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Preset } from '../../common/api-contract';
import { planExperiment } from '../../common/sweep';

export function presetsDir(): string {
  if (process.env.BATCHSCOPE_PRESETS) return process.env.BATCHSCOPE_PRESETS;
  // source tree: main/api → ../../resources; built app: out/main → ../../resources
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources', 'presets');
}

export function loadPresets(dir = presetsDir()): Preset[] {
  const order = [
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
  ];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((file) => {
      const preset = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Preset;
      const plan = planExperiment(preset.spec);
      if (!plan.ok) throw new Error(`preset ${file}: ${plan.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
      return preset;
    })
    .sort((a, b) => (order.indexOf(a.id) + 1 || 99) - (order.indexOf(b.id) + 1 || 99));
}
