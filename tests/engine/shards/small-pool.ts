/**
 * A small MLP (4 → 8 → 3, ReLU) on wasm with a pool of two threads and a batch of 600 rows
 * gathered into the pool's shared rows (two reduction parts: one per thread), for the tests
 * of the pool's own behaviour. `value(i)` fills the features; labels cycle through 0, 1, 2.
 */
import type { ModelSpec } from '../../../common/spec';
import { selectBackend } from '../../../main/engine/backend';
import { buildModel } from '../../../main/engine/models/build-model';
import type { Model } from '../../../main/engine/models/model';
import { ShardPool } from '../../../main/engine/shards/shard-pool';
import { disposeBatch, makeBatch, type Batch } from '../../../main/engine/training/batch-source';

export const SMALL_MLP: ModelSpec = { kind: 'mlp', hidden: [8], activation: 'relu' };

export interface SmallPool {
  model: Model;
  pool: ShardPool;
  /** the shared rows, as sampleBuffers gave them */
  rows: { x: Float32Array; labels: Int32Array };
  batch: Batch;
}

/** Runs `body` with a fresh small pool, then ends the pool and frees the model and the batch. */
export async function withSmallPool(value: (i: number) => number, body: (p: SmallPool) => Promise<void>): Promise<void> {
  await selectBackend('wasm');
  const model = buildModel(SMALL_MLP, [4], 3, 0);
  const pool = await ShardPool.start({ threads: 2, backend: 'wasm', model: SMALL_MLP, reference: model, inputShape: [4], numClasses: 3, seed: 0 });
  try {
    const rows = pool.sampleBuffers(600);
    rows.x.forEach((_, i) => (rows.x[i] = value(i)));
    rows.labels.forEach((_, i) => (rows.labels[i] = i % 3));
    const batch = makeBatch(rows.x, rows.labels, [4], 3);
    try {
      await body({ model, pool, rows, batch });
    } finally {
      disposeBatch(batch);
    }
  } finally {
    await pool.dispose();
    model.dispose();
  }
}
