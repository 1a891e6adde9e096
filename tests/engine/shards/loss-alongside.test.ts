/**
 * batchLoss's `alongside`: work the main thread does while the replicas compute their shares
 * of the loss (the layer statistics, in a run). It runs once whether or not the batch is
 * split, and its failure fails the call without leaving the pool unusable.
 */
import { describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../../common/spec';
import { selectBackend } from '../../../main/engine/backend';
import { buildModel } from '../../../main/engine/models/build-model';
import { ShardPool } from '../../../main/engine/shards/shard-pool';
import { batchLoss } from '../../../main/engine/training/batch-gradients';
import { disposeBatch, makeBatch } from '../../../main/engine/training/batch-source';

describe('the work done alongside a split loss', () => {
  it('runs once, split or not, and its failure is the call’s', async () => {
    await selectBackend('wasm');
    const spec: ModelSpec = { kind: 'mlp', hidden: [8], activation: 'relu' };
    const model = buildModel(spec, [4], 3, 0);
    const pool = await ShardPool.start({ threads: 2, backend: 'wasm', model: spec, reference: model, inputShape: [4], numClasses: 3, seed: 0 });
    try {
      const rows = pool.sampleBuffers(600);
      rows.x.forEach((_, i) => (rows.x[i] = Math.cos(i)));
      rows.labels.forEach((_, i) => (rows.labels[i] = i % 3));
      const batch = makeBatch(rows.x, rows.labels, [4], 3);
      const alone = await batchLoss(model, batch, undefined, null);
      let calls = 0;
      const count = async (): Promise<void> => void calls++;
      expect(pool.shardsFor(batch.size)).toBe(2);
      expect(await batchLoss(model, batch, undefined, pool, count)).toBe(alone);
      expect(calls).toBe(1);
      expect(await batchLoss(model, batch, undefined, null, count)).toBe(alone);
      expect(calls).toBe(2);

      const failing = async (): Promise<void> => {
        throw new Error('statistics failed');
      };
      await expect(batchLoss(model, batch, undefined, pool, failing)).rejects.toThrow('statistics failed');
      await expect(batchLoss(model, batch, undefined, null, failing)).rejects.toThrow('statistics failed');
      expect(await batchLoss(model, batch, undefined, pool)).toBe(alone);
      disposeBatch(batch);
    } finally {
      await pool.dispose();
      model.dispose();
    }
  });
});
