/**
 * batchLoss's `alongside`: work the main thread does while the replicas compute their shares
 * of the loss (the layer statistics, in a run). It runs once whether or not the batch is
 * split, while the replicas' shares are still out, and its failure fails the call without
 * leaving the pool unusable.
 */
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../../main/engine/backend';
import { buildModel } from '../../../main/engine/models/build-model';
import { batchLoss, sampleLosses, type GradientShards } from '../../../main/engine/training/batch-gradients';
import { disposeBatch, makeBatch } from '../../../main/engine/training/batch-source';
import { SMALL_MLP, withSmallPool } from './small-pool';

describe('the work done alongside a split loss', () => {
  it('runs once, split or not, and its failure is the call’s', async () => {
    await withSmallPool(Math.cos, async ({ model, pool, batch }) => {
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
    });
  });

  it('runs after the other threads were asked for their shares and before their answer is awaited', { timeout: 20_000 }, async () => {
    await selectBackend('wasm');
    const model = buildModel(SMALL_MLP, [4], 3, 0);
    const x = Float32Array.from({ length: 600 * 4 }, (_, i) => Math.sin(i));
    const batch = makeBatch(x, Int32Array.from({ length: 600 }, (_, i) => i % 3), [4], 3);
    // a replica that answers only once `alongside` lets it: awaiting it first would never end
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let asked = false;
    const unused = (): never => {
      throw new Error('not used by batchLoss');
    };
    const held: GradientShards = {
      shardsFor: () => 2,
      prepare: async () => undefined,
      losses: async (_replica, parts) => {
        asked = true;
        await released;
        const all = await sampleLosses(model, batch, parts);
        const last = parts[parts.length - 1]!;
        return { losses: all.losses.slice(parts[0]!.start, last.start + last.size), correct: all.correct };
      },
      gradients: unused,
      prepareCurvature: unused,
      curvature: unused,
      sharpness: unused,
      curvatureLayerMs: null,
    };
    let askedFirst: boolean | null = null;
    const loss = await batchLoss(model, batch, undefined, held, async () => {
      askedFirst = asked;
      release();
    });
    expect(askedFirst).toBe(true);
    expect(loss).toBe(await batchLoss(model, batch, undefined, null));
    disposeBatch(batch);
    model.dispose();
  });
});
