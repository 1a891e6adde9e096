/**
 * Replica threads live exactly as long as their run: they end when it completes, is
 * cancelled, diverges or fails, and the engine's other features keep working with them.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSpecInput } from '../../../common/spec';
import { selectBackend } from '../../../main/engine/backend';
import { buildModel } from '../../../main/engine/models/build-model';
import { ShardPool } from '../../../main/engine/shards/shard-pool';
import { trainRun } from '../../../main/engine/training/train-run';
import { RecordingSink } from '../training/record-sink';

process.env.BATCHSCOPE_QUIET = '1';

/** OS threads of this process (Linux): replica threads are among them while they live */
function osThreads(): number {
  return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
}

const base: RunSpecInput = {
  dataset: { kind: 'blobs', samples: 1200, classes: 4, features: 8 },
  model: { kind: 'mlp', hidden: [16] },
  batch: { size: 96 },
  training: { steps: 12, evalEverySteps: 6 },
  diagnostics: { every: 2, curvatureEvery: 4 },
  backend: 'wasm',
  threads: 3,
};

describe('replica threads', () => {
  let baseline = 0;
  beforeAll(async () => {
    // warm everything a run starts once per process (libuv pool, wasm), so only replicas remain to count
    await trainRun({ ...base, threads: 1 }, new RecordingSink());
    baseline = osThreads();
  });

  it('run beside the main thread while training and end with the run', async () => {
    const sink = new RecordingSink();
    let during = 0;
    const tensors: number[] = [];
    const step = sink.step.bind(sink);
    sink.step = (m) => {
      step(m);
      if (m.step === 1) during = osThreads();
      if (m.step === 3 || m.step === 11) tensors.push(tf.memory().numTensors);
    };
    const summary = await trainRun(base, sink);
    expect(summary.status).toBe('completed');
    expect(sink.info!.threads).toBe(3);
    // the sharded step frees what it makes (shard batches, gradient copies, sums)
    expect(tensors[1]).toBe(tensors[0]);
    expect(during).toBeGreaterThanOrEqual(baseline + 2);
    expect(osThreads()).toBeLessThanOrEqual(baseline);
  });

  it('end when the run is cancelled or diverges', async () => {
    let steps = 0;
    const cancelled = await trainRun({ ...base, training: { steps: 1000 } }, new RecordingSink(), { cancelled: () => ++steps > 4 });
    expect(cancelled.status).toBe('cancelled');
    expect(osThreads()).toBeLessThanOrEqual(baseline);
    const diverged = await trainRun({ ...base, lr: { base: 1e30 } }, new RecordingSink());
    expect(diverged.status).toBe('diverged');
    expect(osThreads()).toBeLessThanOrEqual(baseline);
  });

  it('follow batch-size schedules and accumulation (each micro-batch split across the threads)', async () => {
    const sink = new RecordingSink();
    const summary = await trainRun(
      { ...base, threads: 2, batch: { size: 64, microBatch: 40, schedule: [{ epoch: 1, size: 300 }] }, training: { epochs: 2 }, discard: { threshold: 0.05 } },
      sink,
    );
    expect(summary.status).toBe('completed');
    expect(new Set(sink.steps.map((s) => s.batchSize))).toEqual(new Set([64, 300]));
    expect(sink.events.some((e) => e.kind === 'batch-size')).toBe(true);
    expect(sink.steps.every((s) => Number.isFinite(s.loss))).toBe(true);
    expect(osThreads()).toBeLessThanOrEqual(baseline);
  });

  it('that build another model fail the pool with a ShardError, and are ended', async () => {
    await selectBackend('wasm');
    const reference = buildModel({ kind: 'mlp', hidden: [16], activation: 'relu' }, [8], 4, 0);
    const start = ShardPool.start({ threads: 2, backend: 'wasm', model: { kind: 'mlp', hidden: [17], activation: 'relu' }, reference, inputShape: [8], numClasses: 4, seed: 0 });
    await expect(start).rejects.toThrow(/other parameter shapes/);
    reference.dispose();
    expect(osThreads()).toBeLessThanOrEqual(baseline);
  });
});
