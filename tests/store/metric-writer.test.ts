import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import type { StepMetrics } from '../../common/metrics';
import type { Store } from '../../main/store/open-store';
import { StoreError } from '../../main/store/store-error';
import { createRun, sampleEval, sampleLayers, sampleStep } from './fixtures/sample-metrics';
import { tempDir, tempStore, trackedStore } from './fixtures/temp-store';

/** Rows as another connection sees them: what has been committed. */
function committedRows(store: Store, table = 'step_metrics'): number {
  const db = new Database(store.path, { readonly: true });
  try {
    return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('MetricWriter', () => {
  it('writes a batch delivered twice once: metric rows by their keys, events by their sequence number', () => {
    const store = tempStore();
    const { runId } = createRun(store);
    const writer = store.openMetricWriter({ flushEveryMs: 60_000 });
    const deliver = (): void => {
      writer.pushStep(runId, sampleStep(0));
      writer.pushLayers(runId, sampleLayers(0, 3));
      writer.pushEval(runId, sampleEval(0));
      writer.pushEvent(runId, { step: 0, kind: 'note', detail: { n: 1 } }, 0);
      writer.pushEvent(runId, { step: 0, kind: 'note', detail: { n: 1 } }, 1);
      writer.flush();
    };
    deliver();
    deliver();
    expect(store.metrics.stepMetrics(runId)).toHaveLength(1);
    expect(store.metrics.layerMetrics(runId)).toHaveLength(3);
    expect(store.metrics.evaluations(runId)).toHaveLength(1);
    // two events with equal content but distinct numbers are both kept; their repeats are not
    expect(store.metrics.events(runId)).toHaveLength(2);
    // events without a number (local runs) are never merged
    writer.pushEvent(runId, { step: 0, kind: 'note', detail: { n: 1 } });
    writer.pushEvent(runId, { step: 0, kind: 'note', detail: { n: 1 } });
    writer.flush();
    expect(store.metrics.events(runId)).toHaveLength(4);
  });

  it('buffers rows and writes them in one transaction once flushRows are buffered', () => {
    const store = tempStore();
    const { runId } = createRun(store);
    const writer = store.openMetricWriter({ flushRows: 100, flushEveryMs: 60_000 });
    for (let step = 0; step < 99; step++) writer.pushStep(runId, sampleStep(step));
    expect(writer.bufferedRows).toBe(99);
    expect(committedRows(store)).toBe(0);
    writer.pushStep(runId, sampleStep(99));
    expect(writer.bufferedRows).toBe(0);
    expect(committedRows(store)).toBe(100);
  });

  it('flush() returns the rows written once they are committed', () => {
    const store = tempStore();
    const { runId } = createRun(store);
    const writer = store.openMetricWriter({ flushEveryMs: 60_000 });
    writer.pushStep(runId, sampleStep(0));
    writer.pushLayers(runId, sampleLayers(0, 4));
    writer.pushEval(runId, sampleEval(0));
    writer.pushEvent(runId, { step: 0, kind: 'batch-size', detail: { from: 128, to: 256 } });
    expect(writer.flush()).toBe(7);
    expect(committedRows(store)).toBe(1);
    expect(committedRows(store, 'layer_metrics')).toBe(4);
    expect(writer.flush()).toBe(0);
  });

  it('flushes on a timer that does not need an explicit call', async () => {
    const store = tempStore();
    const { runId } = createRun(store);
    const writer = store.openMetricWriter({ flushEveryMs: 20 });
    writer.pushStep(runId, sampleStep(0));
    expect(committedRows(store)).toBe(0);
    await vi.waitFor(() => expect(committedRows(store)).toBe(1), { timeout: 2_000, interval: 10 });
    expect(writer.bufferedRows).toBe(0);
  });

  it('flushes on close, refuses pushes afterwards, and the store closes its open writers', () => {
    const store = tempStore();
    const { runId } = createRun(store);
    const writer = store.openMetricWriter({ flushEveryMs: 60_000 });
    writer.pushStep(runId, sampleStep(0));
    writer.close();
    expect(committedRows(store)).toBe(1);
    expect(() => writer.pushStep(runId, sampleStep(1))).toThrow(expect.objectContaining({ code: 'closed' }));

    const path = join(tempDir(), 'close.db');
    const other = trackedStore(path);
    const run = createRun(other).runId;
    other.openMetricWriter({ flushEveryMs: 60_000 }).pushLayers(run, sampleLayers(0, 3));
    other.close();
    const reopened = trackedStore(path);
    expect(reopened.metrics.layerMetrics(run)).toHaveLength(3);
  });

  it('reads back what it wrote: NaN as NaN, not-computed as null, infinities, several runs interleaved', () => {
    const store = tempStore();
    const a = createRun(store).runId;
    const b = createRun(store).runId;
    const writer = store.openMetricWriter({ flushRows: 7 });
    const diverged: StepMetrics = { ...sampleStep(3), loss: Number.NaN, accuracy: 0, lossUpdate: Infinity, lr: -Infinity };
    for (let step = 0; step < 3; step++) {
      writer.pushStep(a, sampleStep(step));
      writer.pushLayers(b, sampleLayers(step, 2));
      writer.pushStep(b, sampleStep(step));
      writer.pushLayers(a, sampleLayers(step, 2));
    }
    writer.pushStep(a, diverged);
    writer.close();
    const steps = store.metrics.stepMetrics(a);
    expect(steps.slice(0, 3)).toEqual([0, 1, 2].map(sampleStep));
    expect(steps[3]!.loss).toBeNaN();
    expect(steps[3]).toMatchObject({ lossUpdate: Infinity, lr: -Infinity });
    expect(store.metrics.layerMetrics(b)).toEqual([0, 1].flatMap((layer) => [0, 1, 2].map((step) => sampleLayers(step, 2)[layer]!)));
    expect(store.metrics.layerMetrics(a)[1]).toMatchObject({ step: 1, lossUpdateShare: null, curvature: null });
  });

  it('keeps the last record when a step is sent twice instead of failing the batch', () => {
    const store = tempStore();
    const { runId } = createRun(store);
    const writer = store.openMetricWriter();
    writer.pushStep(runId, sampleStep(5));
    writer.pushStep(runId, { ...sampleStep(5), loss: 0.25 });
    writer.pushStep(runId, sampleStep(6));
    expect(writer.flush()).toBe(3);
    expect(store.metrics.stepMetrics(runId).map((m) => [m.step, m.loss])).toEqual([
      [5, 0.25],
      [6, sampleStep(6).loss],
    ]);
  });

  it('rejects a record without a valid step at push, keeping the rest', () => {
    const store = tempStore();
    const { runId } = createRun(store);
    const writer = store.openMetricWriter();
    writer.pushStep(runId, sampleStep(0));
    expect(() => writer.pushStep(runId, { ...sampleStep(1), step: Number.NaN })).toThrow(RangeError);
    expect(() => writer.pushLayers(runId, [{ ...sampleLayers(1, 1)[0]!, layer: -1 }])).toThrow(RangeError);
    expect(() => writer.pushEvent(runId, { step: 1, kind: 'note', detail: { self: globalThis } })).toThrow();
    expect(writer.flush()).toBe(1);
  });

  it('turns a full disk into a StoreError naming the file, losing neither stored nor buffered rows', () => {
    const store = tempStore();
    const { runId } = createRun(store);
    const writer = store.openMetricWriter({ flushEveryMs: 60_000, flushRows: 1_000_000 });
    for (let step = 0; step < 100; step++) writer.pushLayers(runId, sampleLayers(step, 4));
    writer.flush();
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages + 2}`);
    for (let step = 100; step < 5_000; step++) writer.pushLayers(runId, sampleLayers(step, 4));

    let error: unknown;
    try {
      writer.flush();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'disk-full', sqliteCode: 'SQLITE_FULL' });
    expect((error as StoreError).message).toContain(store.path);
    expect((error as StoreError).message).toMatch(/free some space/i);
    expect(writer.lastError).toBe(error);
    expect(writer.bufferedRows).toBe(4_900 * 4);
    expect(committedRows(store, 'layer_metrics')).toBe(400);

    store.db.pragma('max_page_count = 1073741823');
    expect(writer.flush()).toBe(4_900 * 4);
    expect(writer.lastError).toBeUndefined();
    expect(committedRows(store, 'layer_metrics')).toBe(20_000);
  });

  it('reports timer-flush failures to onError, retries, and stops accepting rows past maxBufferedRows', async () => {
    const store = tempStore();
    const { runId } = createRun(store);
    const errors: StoreError[] = [];
    const writer = store.openMetricWriter({ flushEveryMs: 10, flushRows: 1_000, maxBufferedRows: 2_000, onError: (e) => errors.push(e) });
    writer.pushStep(runId, sampleStep(0));
    writer.flush();
    store.db.pragma(`max_page_count = ${store.db.pragma('page_count', { simple: true }) as number}`);
    for (let step = 0; step < 40; step++) writer.pushLayers(runId, sampleLayers(step, 10));
    await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(2), { timeout: 2_000, interval: 5 });
    expect(errors[0]).toMatchObject({ code: 'disk-full' });
    expect(writer.bufferedRows).toBe(400);

    // while failing, pushes past flushRows do not retry on the spot but accumulate, up to the cap
    for (let step = 40; step < 200; step++) writer.pushLayers(runId, sampleLayers(step, 10));
    expect(writer.bufferedRows).toBe(2_000);
    expect(() => writer.pushLayers(runId, sampleLayers(200, 10))).toThrow(expect.objectContaining({ code: 'disk-full' }));

    store.db.pragma('max_page_count = 1073741823');
    await vi.waitFor(() => expect(writer.bufferedRows).toBe(0), { timeout: 2_000, interval: 5 });
    expect(store.metrics.layerMetrics(runId)).toHaveLength(2_000);
  });

  it('says the file is busy when another connection holds the write lock too long, then succeeds', () => {
    const path = join(tempDir(), 'busy.db');
    const store = trackedStore(path, { busyTimeoutMs: 50 });
    const { runId } = createRun(store);
    const blocker = new Database(path);
    blocker.exec('BEGIN IMMEDIATE');
    const writer = store.openMetricWriter({ flushEveryMs: 60_000 });
    writer.pushStep(runId, sampleStep(0));
    try {
      expect(() => writer.flush()).toThrow(expect.objectContaining({ code: 'busy', message: expect.stringContaining(path) }));
      expect(writer.bufferedRows).toBe(1);
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    expect(writer.flush()).toBe(1);
  });

  it('drops the buffered rows of a run deleted meanwhile, reports it, and saves the others', () => {
    const store = tempStore();
    const gone = createRun(store).runId;
    const kept = createRun(store).runId;
    const errors: StoreError[] = [];
    const writer = store.openMetricWriter({ flushEveryMs: 60_000, onError: (e) => errors.push(e) });
    writer.pushStep(gone, sampleStep(0));
    writer.pushLayers(gone, sampleLayers(0, 3));
    writer.pushStep(kept, sampleStep(0));
    store.runs.delete(gone);
    expect(writer.flush()).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'run-missing', message: expect.stringContaining(`4 metric rows of run ${gone}`) });
    expect(store.metrics.stepMetrics(kept)).toHaveLength(1);
  });
});
