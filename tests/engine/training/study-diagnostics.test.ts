/**
 * The large-batch study diagnostics in real training runs: what each record carries at
 * the default cadences, with shards and micro-batches, while discarding, and when off.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../main/engine/backend';
import { trainRun } from '../../../main/engine/training/train-run';
import { RecordingSink } from './record-sink';

process.env.BATCHSCOPE_QUIET = '1';

const spirals = { kind: 'spirals', samples: 1600, arms: 3, noise: 0.15 } as const;
const base = {
  dataset: spirals,
  model: { kind: 'mlp', hidden: [24, 12] },
  optimizer: { name: 'sgd' },
  lr: { base: 0.2 },
  batch: { size: 128 },
  training: { steps: 24, seed: 3, evalEverySteps: 24 },
  backend: 'wasm',
} as const;
/** the noise scale and the trajectory are on by default every 10 steps; these runs measure them every step */
const studyOn = { noiseScale: true, geometry: true, studyEvery: 1 } as const;

async function run(overrides: Record<string, unknown>): Promise<RecordingSink> {
  const sink = new RecordingSink();
  const summary = await trainRun({ ...base, ...overrides }, sink);
  expect(summary.status).toBe('completed');
  (sink as RecordingSink & { summary?: unknown }).summary = summary;
  return sink;
}

const finite = (v: number | null | undefined): boolean => typeof v === 'number' && Number.isFinite(v);

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('study diagnostics in training', () => {
  it('records noise scale every step, sharpness on its cadence, distance from init and update cosine per layer', async () => {
    const sink = await run({ diagnostics: { ...studyOn, sharpnessEvery: 10, curvatureEvery: 0 } });
    const summary = (sink as RecordingSink & { summary: { noiseScale: number | null; sharpness: number | null } }).summary;
    // the noise scale's EMA needs a few steps before |G|² and tr(Σ) are positive
    expect(sink.steps.slice(-5).every((s) => finite(s.noiseScale) && s.noiseScale! > 0)).toBe(true);
    expect(summary.noiseScale).toBe(sink.steps.at(-1)!.noiseScale);
    // sharpness at steps 0, 10, 20 (0-based) and at the last one = records of steps 1, 11, 21, 24
    expect(sink.steps.filter((s) => s.sharpness !== null).map((s) => s.step)).toEqual([1, 11, 21, 24]);
    expect(sink.steps.filter((s) => s.sharpness !== null).every((s) => s.sharpness! > 0)).toBe(true);
    expect(summary.sharpness).toBe(sink.steps[23]!.sharpness);
    const layers = 3;
    const atStep = (step: number) => sink.layerRows.filter((r) => r.step === step);
    for (const row of atStep(11)) {
      expect(finite(row.sharpness)).toBe(true);
      // a block's top eigenvalue bounds its Rayleigh quotients, and the network's bounds every block's
      expect(row.sharpness!).toBeLessThanOrEqual(sink.steps[10]!.sharpness! * 1.05);
    }
    expect(atStep(12).every((r) => r.sharpness === null)).toBe(true);
    expect(atStep(1)).toHaveLength(layers);
    // distance grows from 0; the first measured step has no previous update, later ones do
    expect(atStep(1).every((r) => r.distanceFromInit! > 0 && r.updateCosine === null)).toBe(true);
    expect(atStep(24).every((r) => r.distanceFromInit! > atStep(1)[r.layer]!.distanceFromInit!)).toBe(true);
    expect(atStep(24).every((r) => r.updateCosine! >= -1 - 1e-6 && r.updateCosine! <= 1 + 1e-6)).toBe(true);
    expect(atStep(24).every((r) => finite(r.noiseScale))).toBe(true);
  });

  it('with micro-batches and with two shards the noise scale comes from those parts', async () => {
    for (const overrides of [{ batch: { size: 128, microBatch: 32 } }, { threads: 2 }]) {
      const sink = await run({ ...overrides, diagnostics: { ...studyOn, sharpnessEvery: 0, curvatureEvery: 0 } });
      expect(sink.steps.slice(-5).every((s) => finite(s.noiseScale)), JSON.stringify(overrides)).toBe(true);
      expect(sink.steps.every((s) => s.sharpness === null)).toBe(true);
    }
  });

  it('by default measures the noise scale and the trajectory every 10 steps, in records of their own when the layer cadence is elsewhere', async () => {
    const sink = await run({ training: { ...base.training, steps: 31 }, diagnostics: { every: 4, sharpnessEvery: 0, curvatureEvery: 0 } });
    // 0-based steps 0, 10, 20, 30 are records 1, 11, 21, 31
    // (the first few estimates may be null: the EMAs of |G|² and tr(Σ) start near zero)
    expect(sink.steps.filter((s) => s.noiseScale !== null).every((s) => [1, 11, 21, 31].includes(s.step))).toBe(true);
    expect(finite(sink.steps[30]!.noiseScale)).toBe(true);
    const measured = [...new Set(sink.layerRows.map((r) => r.step))];
    // layer records every 4 steps (records 1, 5, 9, …) and at the study steps
    expect(measured).toEqual([1, 5, 9, 11, 13, 17, 21, 25, 29, 31]);
    const trajectorySteps = [...new Set(sink.layerRows.filter((r) => r.distanceFromInit !== null).map((r) => r.step))];
    expect(trajectorySteps).toEqual([1, 11, 21, 31]);
    // the update before each study step is kept for its cosine: none before the first
    expect(sink.layerRows.filter((r) => r.step === 1).every((r) => r.updateCosine === null)).toBe(true);
    expect(sink.layerRows.filter((r) => r.step > 1 && r.distanceFromInit !== null).every((r) => finite(r.updateCosine))).toBe(true);
    expect(sink.layerRows.filter((r) => r.distanceFromInit === null).every((r) => r.updateCosine === null && r.noiseScale === null)).toBe(true);
  });

  it('has no noise scale while discarding, and nothing when the diagnostics are off', async () => {
    const discarding = await run({ discard: { fraction: 0.25 }, diagnostics: { ...studyOn, sharpnessEvery: 0, curvatureEvery: 0 } });
    expect(discarding.steps.every((s) => s.noiseScale === null)).toBe(true);
    expect(discarding.layerRows.every((r) => r.noiseScale === null && finite(r.distanceFromInit))).toBe(true);
    const off = await run({ diagnostics: { sharpnessEvery: 0, noiseScale: false, geometry: false, curvatureEvery: 0 } });
    expect(off.steps.every((s) => s.noiseScale === null && s.sharpness === null)).toBe(true);
    expect(off.layerRows.every((r) => r.noiseScale === null && r.sharpness === null && r.distanceFromInit === null && r.updateCosine === null)).toBe(true);
  });

  it('keeps the previous update only for a measured next step: every 4 steps gives a cosine at each measured step', async () => {
    const sink = await run({ diagnostics: { ...studyOn, every: 4, studyEvery: 4, sharpnessEvery: 0, curvatureEvery: 0 } });
    const measured = [...new Set(sink.layerRows.map((r) => r.step))];
    expect(measured).toEqual([1, 5, 9, 13, 17, 21]);
    expect(sink.layerRows.filter((r) => r.step > 1).every((r) => finite(r.updateCosine))).toBe(true);
  });
});
