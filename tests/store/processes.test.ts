/** The store shared by real processes: concurrent writers, and a writer killed mid-way. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../main/store/open-store';
import { forkStoreChild } from './fixtures/fork-store-child';
import { createRun, sampleLayers, sampleStep } from './fixtures/sample-metrics';
import { tempDir, trackedStore } from './fixtures/temp-store';

const isAck = (m: unknown): m is { committedThrough: number } => typeof (m as { committedThrough?: unknown })?.committedThrough === 'number';
const isDone = (m: unknown): m is { done: true } => (m as { done?: unknown })?.done === true;

/** A file with `count` queued runs, closed again so only the children hold it. */
function fileWithRuns(count: number): { path: string; runIds: number[] } {
  const path = join(tempDir(), 'shared.db');
  const store = openStore(path);
  const runIds = Array.from({ length: count }, () => createRun(store).runId);
  store.close();
  return { path, runIds };
}

describe('store across processes', () => {
  it('two processes writing one file at once lose nothing and leave it intact', async () => {
    const { path, runIds } = fileWithRuns(2);
    const steps = 1_500;
    const layers = 5;
    const children = runIds.map((runId) => forkStoreChild(['write', path, String(runId), String(steps), String(layers), '10']));
    // a third connection writes in this process meanwhile
    const store = trackedStore(path);
    const local = createRun(store).runId;
    const writer = store.openMetricWriter({ flushEveryMs: 5 });
    for (let step = 0; step < 300; step++) {
      writer.pushStep(local, sampleStep(step));
      if (step % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    writer.close();
    const results = await Promise.all(children.map((child) => child.exited));
    for (const result of results) expect(result, result.stderr).toMatchObject({ code: 0, signal: null });
    for (const child of children) expect(child.messages.filter(isDone)).toHaveLength(1);

    expect(store.checkIntegrity()).toBe('ok');
    for (const runId of runIds) {
      expect(store.metrics.stepMetrics(runId)).toHaveLength(steps);
      expect(store.metrics.layerMetrics(runId)).toHaveLength(steps * layers);
    }
    expect(store.metrics.stepMetrics(local)).toHaveLength(300);
  });

  it('a writer SIGKILLed mid-way leaves a readable file holding every acknowledged flush', async () => {
    const { path, runIds } = fileWithRuns(1);
    const runId = runIds[0]!;
    const layers = 8;
    const child = forkStoreChild(['write', path, String(runId), 'forever', String(layers), '25']);
    let acknowledged = -1;
    await child.waitFor((m): m is { committedThrough: number } => isAck(m) && m.committedThrough >= 25 * 40 - 1);
    // let it get into its next batches, then kill it without warning
    await new Promise((resolve) => setTimeout(resolve, 15));
    child.process.kill('SIGKILL');
    const { signal } = await child.exited;
    expect(signal).toBe('SIGKILL');
    for (const m of child.messages) if (isAck(m)) acknowledged = Math.max(acknowledged, m.committedThrough);

    const store = trackedStore(path);
    expect(store.checkIntegrity()).toBe('ok');
    const steps = store.metrics.stepMetrics(runId);
    expect(steps.length).toBeGreaterThanOrEqual(acknowledged + 1);
    // complete flushes only: steps 0..n-1 in whole batches, each step with all its layers
    expect(steps.length % 25).toBe(0);
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: steps.length }, (_, i) => i));
    expect(steps[acknowledged]).toEqual(sampleStep(acknowledged));
    const layerRows = store.metrics.layerMetrics(runId);
    expect(layerRows).toHaveLength(steps.length * layers);
    expect(layerRows.find((m) => m.layer === layers - 1 && m.step === acknowledged)).toEqual(sampleLayers(acknowledged, layers)[layers - 1]);
    // and the file takes new writes
    const writer = store.openMetricWriter();
    writer.pushStep(runId, sampleStep(steps.length));
    expect(writer.flush()).toBe(1);
  });

  it('a pending flush timer does not keep a process alive', async () => {
    const { path, runIds } = fileWithRuns(1);
    const child = forkStoreChild(['exit-with-pending', path, String(runIds[0])]);
    const exit = await Promise.race([child.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000))]);
    if (exit === 'hung') child.process.kill('SIGKILL');
    expect(exit).toMatchObject({ code: 0 });
    expect(child.messages).toContainEqual({ pushed: true });
  });
});
