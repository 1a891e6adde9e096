/**
 * An experiment is refused before anything is stored when it cannot run: a model, dataset or
 * run length beyond the resource budget, or a data file the worker would reject. The backend,
 * the SQLite file and the data files are real.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpecError } from '../../common/spec';
import { createApi, type BatchscopeBackend } from '../../main/api/create-api';
import { machineBudget } from '../../main/api/machine-budget';
import { idxBytes, idxImages, idxLabels, makeTempDir } from '../engine/data/fixture-files';

const tmp = makeTempDir();
let api: BatchscopeBackend;

const mlp = { kind: 'mlp', hidden: [8] };
const blobs = { kind: 'blobs', samples: 200 };
const base = { name: 'refused', dataset: blobs, model: mlp, training: { epochs: 1 } };

beforeAll(async () => {
  // resumeQueued false and no run ever accepted in the refusal tests: nothing trains
  api = await createApi({ dbPath: `${tmp.dir}/check.db`, resumeQueued: false, budget: { memoryBytes: 4 * 1024 ** 3, maxSteps: 10_000_000, source: 'the test budget' } });
});

afterAll(async () => {
  await api.close({ kill: true });
  tmp.remove();
});

async function refused(spec: object): Promise<{ path: string; message: string }[]> {
  const plan = await api.planExperiment({ spec });
  expect(plan.ok).toBe(false);
  const error = await api.createExperiment({ spec }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SpecError);
  expect((error as SpecError).issues).toEqual(plan.issues);
  // nothing was stored: no experiment, no failed run per attempt
  expect(api.store.experiments.list({})).toEqual([]);
  expect(api.store.runs.list({})).toEqual([]);
  return plan.issues;
}

describe('resource budget at validation', () => {
  it('refuses model.hidden [1e9, 1e9] with the field path and the estimated memory against the budget', async () => {
    const [issue, ...rest] = await refused({ ...base, model: { kind: 'mlp', hidden: [1e9, 1e9] } });
    expect(rest).toEqual([]);
    expect(issue!.path).toBe('model.hidden');
    expect(issue!.message).toMatch(/the run would need about .* of memory \(parameters .* for 1\.00e\+18 weights.*the budget is 4\.0 GiB \(the test budget\)/);
  });

  it('refuses blobs with 1e9 samples × 1e6 features at dataset, before a RangeError could happen', async () => {
    const issues = await refused({ ...base, dataset: { kind: 'blobs', samples: 1e9, features: 1e6 } });
    expect(issues.map((i) => i.path)).toContain('dataset');
    expect(issues.find((i) => i.path === 'dataset')!.message).toMatch(/the dataset would hold 1\.00e\+15 values .*one array holds at most 4\.29e\+9/);
  });

  it('refuses epochs 1e9 and steps 1e12 with the limit', async () => {
    const [byEpochs] = await refused({ ...base, training: { epochs: 1e9 } });
    expect(byEpochs).toEqual({ path: 'training.epochs', message: 'the run would take 1.00e+9 epochs; at most 1.00e+6 are allowed' });
    const [bySteps] = await refused({ ...base, training: { steps: 1e12 } });
    expect(bySteps!.path).toBe('training.steps');
    expect(bySteps!.message).toMatch(/epochs; at most 1\.00e\+6 are allowed|steps; the budget is 1\.00e\+7/);
    const [longButFinite] = await refused({ ...base, training: { steps: 20_000_000 }, dataset: { kind: 'blobs', samples: 200_000 }, batch: { size: 1 } });
    expect(longButFinite).toEqual({ path: 'training.steps', message: 'the run would take 2.00e+7 steps; the budget is 1.00e+7 (the test budget)' });
  });

  it('names its source and can be overridden from the environment', () => {
    expect(machineBudget({}).source).toMatch(/^half of this machine's memory; set BATCHSCOPE_MEMORY_BUDGET_MB/);
    const small = machineBudget({ BATCHSCOPE_MEMORY_BUDGET_MB: '1', BATCHSCOPE_MAX_STEPS: '5' });
    expect(small).toMatchObject({ memoryBytes: 1024 * 1024, maxSteps: 5 });
    expect(() => machineBudget({ BATCHSCOPE_MEMORY_BUDGET_MB: 'lots' })).toThrow(/BATCHSCOPE_MEMORY_BUDGET_MB must be a positive number, got 'lots'/);
  });
});

describe('pre-flight check of data files', () => {
  const idx = (files: { trainImages: string; trainLabels: string; numClasses?: number }) => ({ ...base, dataset: { kind: 'idx', ...files } });
  const images = () => tmp.file('images.idx', idxImages(64, 4, 4));
  const labels = (values = Array.from({ length: 64 }, (_, i) => i % 4)) => tmp.file(`labels-${values.length}.idx`, idxLabels(values));

  it('refuses an IDX file with the wrong magic, truncated, or with a count mismatch, at the field naming it', async () => {
    const wrongMagic = tmp.file('wrong-magic.idx', idxBytes(0x00000802, [64, 4, 4], new Uint8Array(64 * 16)));
    expect(await refused(idx({ trainImages: wrongMagic, trainLabels: labels() }))).toEqual([
      { path: 'dataset.trainImages', message: expect.stringMatching(/wrong-magic\.idx: wrong magic number: expected 0x00000803/) },
    ]);
    const truncated = tmp.file('truncated.idx', idxImages(64, 4, 4).subarray(0, 500));
    expect(await refused(idx({ trainImages: truncated, trainLabels: labels() }))).toEqual([
      { path: 'dataset.trainImages', message: expect.stringMatching(/truncated: the header promises 64 × 4 × 4 = 1024 bytes of data, the file holds only 484/) },
    ]);
    expect(await refused(idx({ trainImages: images(), trainLabels: labels([0, 1, 2]) }))).toEqual([
      { path: 'dataset.trainLabels', message: expect.stringMatching(/has 3 labels but .*images\.idx has 64 images/) },
    ]);
  });

  it('refuses a missing file and a folder', async () => {
    expect(await refused(idx({ trainImages: `${tmp.dir}/nowhere.idx`, trainLabels: labels() }))).toEqual([
      { path: 'dataset.trainImages', message: expect.stringMatching(/nowhere\.idx: file not found/) },
    ]);
    const folder = `${tmp.dir}/a-folder`;
    mkdirSync(folder, { recursive: true });
    expect(await refused(idx({ trainImages: images(), trainLabels: folder }))).toEqual([
      { path: 'dataset.trainLabels', message: expect.stringMatching(/a-folder: is a folder, expected a file/) },
    ]);
  });

  it('refuses a ragged, a NaN and an empty CSV at dataset.path', async () => {
    const csv = (name: string, text: string) => ({ ...base, dataset: { kind: 'csv', path: tmp.file(name, text) } });
    const [ragged] = await refused(csv('ragged.csv', 'a,b,label\n1,2,0\n3,1\n'));
    expect(ragged).toEqual({ path: 'dataset.path', message: expect.stringMatching(/ragged\.csv: line 3 has 2 fields, expected 3/) });
    const [nan] = await refused(csv('nan.csv', 'a,b,label\n1,2,0\n3,NaN,1\n'));
    expect(nan!.message).toMatch(/nan\.csv: line 3, column "b": "NaN" is not a number/);
    const [empty] = await refused(csv('empty.csv', ''));
    expect(empty!.message).toMatch(/empty\.csv: is empty/);
  });

  it('accepts good files and plans with the shape they hold (parameter count from the real image size)', async () => {
    const plan = await api.planExperiment({ spec: idx({ trainImages: images(), trainLabels: labels() }) });
    expect(plan).toMatchObject({ ok: true, issues: [], warnings: [] });
    expect(plan.paramCount).toBe(16 * 8 + 8 + 8 * 4 + 4);
  });
});

describe('numClasses for IDX and CSV', () => {
  const sparse = Array.from({ length: 64 }, (_, i) => 3 + ((i * 15) % 241)); // labels 3 … 243
  const spec = (numClasses?: number) => ({
    ...base,
    dataset: { kind: 'idx', trainImages: tmp.file('c-images.idx', idxImages(64, 4, 4)), trainLabels: tmp.file('c-labels.idx', idxLabels(sparse)), ...(numClasses ? { numClasses } : {}) },
  });

  it('refuses labels at or above a given numClasses, at dataset.trainLabels', async () => {
    expect(await refused(spec(10))).toEqual([{ path: 'dataset.trainLabels', message: expect.stringMatching(/label \d+ at index \d+ is out of range: numClasses is 10 \(labels 0 … 9\)/) }]);
  });

  it('warns (plan, and a run event on every stored run) when an inferred class count leaves most classes empty', async () => {
    const plan = await api.planExperiment({ spec: spec() });
    expect(plan.ok).toBe(true);
    expect(plan.warnings).toEqual([expect.stringMatching(/labels 3 … 243 make a 244-class model, but \d+ of the 244 classes have no sample; set dataset\.numClasses/)]);
    // a backend of its own: this experiment is stored, and its two tiny runs train
    const own = await createApi({ dbPath: `${tmp.dir}/warned.db`, resumeQueued: false });
    try {
      const created = await own.createExperiment({ spec: { ...spec(), sweep: { seed: [1, 2] } } });
      expect(created.warnings).toEqual(plan.warnings);
      for (const run of created.runs) {
        expect(own.store.metrics.events(run.id)).toContainEqual({ step: 0, kind: 'note', detail: { warning: plan.warnings[0] } });
      }
    } finally {
      await own.close({ kill: true });
    }
  });

  it('takes a numClasses that covers the labels without a warning', async () => {
    const plan = await api.planExperiment({ spec: spec(300) });
    expect(plan).toMatchObject({ ok: true, warnings: [] });
    expect(plan.paramCount).toBe(16 * 8 + 8 + 8 * 300 + 300);
  });

  // the same rules for a CSV's label column: `sparse` as its last column, two features beside it
  const csvSpec = (numClasses?: number) => ({
    ...base,
    dataset: { kind: 'csv', path: tmp.file('c-sparse.csv', `a,b,label\n${sparse.map((label, i) => `${i % 7},${(i * 3) % 5},${label}`).join('\n')}\n`), ...(numClasses ? { numClasses } : {}) },
  });

  it('refuses CSV labels at or above a given numClasses, at dataset.path', async () => {
    expect(await refused(csvSpec(10))).toEqual([
      { path: 'dataset.path', message: expect.stringMatching(/c-sparse\.csv: label \d+ at index \d+ is out of range: numClasses is 10 \(labels 0 … 9\)/) },
    ]);
    // 243 is the largest label: one class short is refused too
    expect(await refused(csvSpec(243))).toEqual([{ path: 'dataset.path', message: expect.stringMatching(/label 243 at index \d+ is out of range: numClasses is 243/) }]);
  });

  it('warns in the plan when a CSV without numClasses infers a class count that leaves most classes empty', async () => {
    const plan = await api.planExperiment({ spec: csvSpec() });
    expect(plan.ok).toBe(true);
    expect(plan.warnings).toEqual([expect.stringMatching(/c-sparse\.csv: labels 3 … 243 make a 244-class model, but \d+ of the 244 classes have no sample; set dataset\.numClasses/)]);
    expect(plan.paramCount).toBe(2 * 8 + 8 + 8 * 244 + 244);
    const covered = await api.planExperiment({ spec: csvSpec(300) });
    expect(covered).toMatchObject({ ok: true, warnings: [] });
  });
});
