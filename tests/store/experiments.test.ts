import { describe, expect, it } from 'vitest';
import { SpecError } from '../../common/spec';
import { StoreError } from '../../main/store/store-error';
import { createRun, sampleEval, sampleLayers, sampleSpec, sampleStep } from './fixtures/sample-metrics';
import { tempStore } from './fixtures/temp-store';

function count(store: ReturnType<typeof tempStore>, table: string): number {
  return store.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
}

describe('experiments', () => {
  it('stores the validated spec with defaults filled in, named after the spec unless named', () => {
    const store = tempStore();
    const created = store.experiments.create({ spec: sampleSpec('lars-sweep'), notes: 'first try', tags: [' lars ', 'mnist', 'lars', ''] });
    expect(created.name).toBe('lars-sweep');
    expect(created.notes).toBe('first try');
    expect(created.tags).toEqual(['lars', 'mnist']);
    expect(created.runCount).toBe(0);
    expect(created.spec.optimizer).toEqual({ name: 'sgd', weightDecay: 0 });
    expect(created.spec.batch.size).toBe(128);
    expect(store.experiments.get(created.id)).toEqual(created);

    const named = store.experiments.create({ name: 'Baseline', spec: sampleSpec() });
    expect(named.name).toBe('Baseline');
  });

  it('rejects an invalid spec with a SpecError naming the field, storing nothing', () => {
    const store = tempStore();
    const bad = { ...sampleSpec(), batch: { size: 64, microBatch: 128 } };
    expect(() => store.experiments.create({ spec: bad })).toThrow(SpecError);
    try {
      store.experiments.create({ spec: bad });
    } catch (error) {
      expect((error as SpecError).issues.map((i) => i.path)).toContain('batch.microBatch');
    }
    expect(store.experiments.list()).toEqual([]);
  });

  it('lists newest first and searches name, notes and tags literally', () => {
    const store = tempStore();
    const a = store.experiments.create({ spec: sampleSpec('alpha'), tags: ['lamb'] });
    const b = store.experiments.create({ spec: sampleSpec('beta'), notes: 'uses 100% of MNIST' });
    const c = store.experiments.create({ spec: sampleSpec('gamma_1') });
    expect(store.experiments.list().map((e) => e.id)).toEqual([c.id, b.id, a.id]);
    expect(store.experiments.list({ search: 'LAMB' }).map((e) => e.id)).toEqual([a.id]);
    expect(store.experiments.list({ search: '100%' }).map((e) => e.id)).toEqual([b.id]);
    // '_' is a LIKE wildcard: it must match only a literal underscore
    expect(store.experiments.list({ search: 'a_1' }).map((e) => e.id)).toEqual([c.id]);
    expect(store.experiments.list({ search: 'amma_' }).map((e) => e.id)).toEqual([c.id]);
    expect(store.experiments.list({ search: 'gamma1' })).toEqual([]);
  });

  it('updates name, notes and tags, and says which experiment is missing', () => {
    const store = tempStore();
    const created = store.experiments.create({ spec: sampleSpec() });
    const updated = store.experiments.update(created.id, { notes: 'diverged at B=8k', tags: ['divergence'] });
    expect(updated).toMatchObject({ name: created.name, notes: 'diverged at B=8k', tags: ['divergence'], spec: created.spec });
    expect(store.experiments.update(created.id, { name: 'renamed' }).notes).toBe('diverged at B=8k');
    expect(() => store.experiments.update(999, { notes: 'x' })).toThrow(expect.objectContaining({ code: 'not-found', message: expect.stringContaining('experiment 999') }));
  });

  it('deletes an experiment with its runs and every metric row of them', () => {
    const store = tempStore();
    const { experimentId, runId } = createRun(store);
    const other = createRun(store, 'kept');
    store.runs.create({ experimentId, config: sampleSpec() });
    const writer = store.openMetricWriter();
    for (const id of [runId, other.runId]) {
      for (let step = 0; step < 20; step++) {
        writer.pushStep(id, sampleStep(step));
        writer.pushLayers(id, sampleLayers(step, 3));
      }
      writer.pushEval(id, sampleEval(19));
      writer.pushEvent(id, { step: 5, kind: 'note', detail: {} });
    }
    writer.flush();
    expect(store.experiments.get(experimentId)?.runCount).toBe(2);

    store.experiments.delete(experimentId);
    expect(store.experiments.get(experimentId)).toBeUndefined();
    expect(store.runs.list({ experimentId })).toEqual([]);
    expect(count(store, 'step_metrics')).toBe(20);
    expect(count(store, 'layer_metrics')).toBe(60);
    expect(count(store, 'evaluations')).toBe(1);
    expect(count(store, 'run_events')).toBe(1);
    expect(store.metrics.stepMetrics(other.runId)).toHaveLength(20);
  });

  it('refuses to delete an experiment while one of its runs is running', () => {
    const store = tempStore();
    const { experimentId, runId } = createRun(store);
    store.runs.updateStatus(runId, { status: 'running', workerPid: 4242 });
    const attempt = () => store.experiments.delete(experimentId);
    expect(attempt).toThrow(StoreError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'run-active', message: expect.stringContaining(`run ${runId}`) }));
    expect(store.experiments.get(experimentId)).toBeDefined();
  });
});
