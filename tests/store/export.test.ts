import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportCsv, exportJson } from '../../main/store/export';
import type { Store } from '../../main/store/open-store';
import { createRun, sampleEval, sampleLayers, sampleSpec, sampleStarted, sampleStep } from './fixtures/sample-metrics';
import { csvNumber, csvRecords } from './fixtures/parse-csv';
import { tempDir, tempStore } from './fixtures/temp-store';

const LAYERS = 3;

/** 200 steps, evaluations at 0, 100 and 199 plus one at step 250 that has no step row; the last step diverged. */
function writeRun(store: Store, experimentId?: number): number {
  const runId = experimentId === undefined ? createRun(store).runId : store.runs.create({ experimentId, config: sampleSpec() }).id;
  store.runs.updateStatus(runId, { status: 'running' });
  const started = sampleStarted(LAYERS);
  started.layers[1]!.name = 'conv "stem", 3x3';
  store.runs.recordStarted(runId, started);
  const writer = store.openMetricWriter();
  for (let step = 0; step < 200; step++) {
    writer.pushStep(runId, step === 199 ? { ...sampleStep(step), loss: Number.NaN, lr: Infinity } : sampleStep(step));
    writer.pushLayers(runId, sampleLayers(step, LAYERS));
  }
  for (const step of [0, 100, 199, 250]) writer.pushEval(runId, sampleEval(step));
  writer.pushEvent(runId, { step: 100, kind: 'batch-size', detail: { to: 256 } });
  writer.close();
  return runId;
}

describe('export', () => {
  it('writes a run as CSV: one header, one row per step with evaluations joined in, that parses back', () => {
    const store = tempStore();
    const runId = writeRun(store);
    const out = exportCsv(store, { runId }, join(tempDir(), 'exports'));
    expect(out.steps).toMatch(new RegExp(`run-${runId}-steps\\.csv$`));
    expect(out.stepRows).toBe(201);

    const text = readFileSync(out.steps, 'utf8');
    expect(text.split('\n')[0]).toBe(
      'run_id,step,epoch,loss,accuracy,batch_size,samples_seen,discarded,lr,loss_update,noise_scale,sharpness,step_ms,wall_ms,eval_epoch,eval_train_loss,eval_train_accuracy,eval_test_loss,eval_test_accuracy,eval_gap,eval_wall_ms',
    );
    const rows = csvRecords(text);
    expect(rows).toHaveLength(201);
    expect(rows.map((r) => Number(r.step))).toEqual([...Array.from({ length: 200 }, (_, i) => i), 250]);
    expect(rows.every((r) => Number(r.run_id) === runId)).toBe(true);

    const row42 = rows[42]!;
    const expected = sampleStep(42);
    expect(csvNumber(row42.loss!)).toBe(expected.loss);
    expect(csvNumber(row42.samples_seen!)).toBe(expected.samplesSeen);
    expect(csvNumber(row42.loss_update!)).toBeNull();
    expect(csvNumber(row42.eval_test_loss!)).toBeNull();
    expect(csvNumber(rows[100]!.eval_test_loss!)).toBe(sampleEval(100).testLoss);
    expect(csvNumber(rows[199]!.loss!)).toBeNull(); // NaN in the run
    expect(csvNumber(rows[199]!.lr!)).toBe(Infinity);
    expect(csvNumber(rows[200]!.loss!)).toBeNull();
    expect(csvNumber(rows[200]!.eval_train_loss!)).toBe(sampleEval(250).trainLoss);
  });

  it('writes layer metrics in long format with layer names quoted as needed', () => {
    const store = tempStore();
    const runId = writeRun(store);
    const out = exportCsv(store, { runId }, tempDir());
    const rows = csvRecords(readFileSync(out.layers, 'utf8'));
    expect(out.layerRows).toBe(200 * LAYERS);
    expect(rows).toHaveLength(200 * LAYERS);
    expect(Object.keys(rows[0]!)).toEqual(['run_id', 'layer', 'layer_name', 'step', 'grad_norm', 'weight_norm', 'update_norm', 'effective_lr', 'loss_update_share',
      'curvature',
      'curvature_error',
      'noise_scale',
      'sharpness',
      'distance_from_init',
      'update_cosine',
    ]);
    const row = rows.find((r) => r.layer === '1' && r.step === '30')!;
    expect(row.layer_name).toBe('conv "stem", 3x3');
    expect(csvNumber(row.grad_norm!)).toBe(sampleLayers(30, LAYERS)[1]!.gradNorm);
    expect(csvNumber(row.curvature!)).toBe(2);
    expect(csvNumber(rows.find((r) => r.layer === '1' && r.step === '31')!.curvature!)).toBeNull();
  });

  it('writes every run of an experiment into one pair of files', () => {
    const store = tempStore();
    const first = writeRun(store);
    const experimentId = store.runs.get(first)!.experimentId;
    const second = writeRun(store, experimentId);
    const out = exportCsv(store, { experimentId }, tempDir());
    const rows = csvRecords(readFileSync(out.steps, 'utf8'));
    expect(rows).toHaveLength(402);
    expect(rows.filter((r) => Number(r.run_id) === second)).toHaveLength(201);
    expect(csvRecords(readFileSync(out.layers, 'utf8'))).toHaveLength(2 * 200 * LAYERS);
  });

  it('writes JSON with the run record and its metrics, NaN as null', () => {
    const store = tempStore();
    const runId = writeRun(store);
    const path = exportJson(store, { runId }, join(tempDir(), 'run.json'));
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    expect(doc).toMatchObject({ format: 'batchscope-export', version: 1 });
    expect(doc.experiments).toHaveLength(1);
    const [run] = doc.runs;
    expect(run).toMatchObject({ id: runId, status: 'running', seed: 0 });
    expect(run.config.model).toEqual({ kind: 'mlp', hidden: [16], activation: 'relu' });
    expect(run.steps).toHaveLength(200);
    expect(run.steps[10]).toEqual(sampleStep(10));
    expect(run.steps[199].loss).toBeNull();
    expect(run.layers).toHaveLength(200 * LAYERS);
    expect(run.evaluations).toHaveLength(4);
    expect(run.events).toEqual([{ step: 100, kind: 'batch-size', detail: { to: 256 } }]);
  });

  it('says which run is missing and leaves no file behind', () => {
    const store = tempStore();
    const dir = tempDir();
    expect(() => exportCsv(store, { runId: 77 }, dir)).toThrow(expect.objectContaining({ code: 'not-found', message: expect.stringContaining('run 77') }));
    expect(() => exportJson(store, { experimentId: 5 }, join(dir, 'x.json'))).toThrow(expect.objectContaining({ code: 'not-found' }));
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
