/**
 * The shard pool's shared rows: a batch gathered into them reaches the replicas in place,
 * a batch from elsewhere is copied in, and a gathered batch prepared after such a copy is
 * refused rather than computed from rows that are no longer its own.
 */
import { describe, expect, it } from 'vitest';
import { disposeBatch, makeBatch } from '../../../main/engine/training/batch-source';
import { batchLoss } from '../../../main/engine/training/batch-gradients';
import { withSmallPool } from './small-pool';

describe('the shard pool’s shared rows', () => {
  it('serve a gathered batch in place, take a copy of another, and refuse a gathered batch overwritten since', async () => {
    await withSmallPool(Math.sin, async ({ model, pool, rows, batch: gathered }) => {
      expect(rows.x.buffer).toBeInstanceOf(SharedArrayBuffer);
      const other = makeBatch(Float32Array.from(rows.x, (v) => -v), rows.labels.slice(), [4], 3);
      // the same loss with 2 threads (replica reading the shared rows) as with the model alone
      const alone = await batchLoss(model, gathered, undefined, null);
      expect(await batchLoss(model, gathered, undefined, pool)).toBe(alone);
      expect(await batchLoss(model, other, undefined, pool)).toBe(await batchLoss(model, other, undefined, null));
      await expect(batchLoss(model, gathered, undefined, pool)).rejects.toThrow(/copied over them/);
      // a new gather into the rows makes them the source's again
      const again = pool.sampleBuffers(600);
      again.x.forEach((_, i) => (again.x[i] = Math.sin(i)));
      again.labels.forEach((_, i) => (again.labels[i] = i % 3));
      expect(await batchLoss(model, gathered, undefined, pool)).toBe(alone);
      disposeBatch(other);
    });
  });
});
