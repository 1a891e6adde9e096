/**
 * The shard pool's shared rows: a batch gathered into them reaches the replicas in place,
 * a batch from elsewhere is copied in, and a gathered batch prepared after such a copy is
 * refused rather than computed from rows that are no longer its own.
 */
import { describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../../common/spec';
import { selectBackend } from '../../../main/engine/backend';
import { buildModel } from '../../../main/engine/models/build-model';
import { ShardPool } from '../../../main/engine/shards/shard-pool';
import { disposeBatch, makeBatch } from '../../../main/engine/training/batch-source';
import { batchLoss } from '../../../main/engine/training/batch-gradients';

describe('the shard pool’s shared rows', () => {
  it('serve a gathered batch in place, take a copy of another, and refuse a gathered batch overwritten since', async () => {
    await selectBackend('wasm');
    const spec: ModelSpec = { kind: 'mlp', hidden: [8], activation: 'relu' };
    const model = buildModel(spec, [4], 3, 0);
    const pool = await ShardPool.start({ threads: 2, backend: 'wasm', model: spec, reference: model, inputShape: [4], numClasses: 3, seed: 0 });
    try {
      const rows = pool.sampleBuffers(600);
      expect(rows.x.buffer).toBeInstanceOf(SharedArrayBuffer);
      const gather = (): void => {
        rows.x.forEach((_, i) => (rows.x[i] = Math.sin(i)));
        rows.labels.forEach((_, i) => (rows.labels[i] = i % 3));
      };
      gather();
      const gathered = makeBatch(rows.x, rows.labels, [4], 3);
      const other = makeBatch(Float32Array.from(rows.x, (v) => -v), rows.labels.slice(), [4], 3);
      // the same loss with 2 threads (replica reading the shared rows) as with the model alone
      const alone = await batchLoss(model, gathered, undefined, null);
      expect(await batchLoss(model, gathered, undefined, pool)).toBe(alone);
      expect(await batchLoss(model, other, undefined, pool)).toBe(await batchLoss(model, other, undefined, null));
      await expect(batchLoss(model, gathered, undefined, pool)).rejects.toThrow(/copied over them/);
      // a new gather into the rows makes them the source's again
      pool.sampleBuffers(600);
      gather();
      expect(await batchLoss(model, gathered, undefined, pool)).toBe(alone);
      disposeBatch(gathered);
      disposeBatch(other);
    } finally {
      await pool.dispose();
      model.dispose();
    }
  });
});
