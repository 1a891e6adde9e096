/**
 * The shard pool copies the weights out to its replicas only when they changed since the
 * last copy: the ΔL pass after an update and the next step's gradients share one copy, and
 * a replica never computes with weights older than the main thread's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { batchGradients, batchLoss } from '../../../main/engine/training/batch-gradients';
import { withSmallPool } from './small-pool';

describe('the shard pool’s weight copies', () => {
  it('are made once per change of the weights, and the replicas always compute with the current ones', async () => {
    await withSmallPool(Math.sin, async ({ model, pool, batch }) => {
      const split = async (): Promise<number> => batchLoss(model, batch, undefined, pool);
      const alone = async (): Promise<number> => batchLoss(model, batch, undefined, null);

      expect(await split()).toBe(await alone());
      expect(pool.weightCopies).toBe(1);
      // nothing assigned since: the replica's copy is current
      expect(await split()).toBe(await alone());
      const gradients = await batchGradients(model, batch, undefined, null, pool);
      expect(pool.weightCopies).toBe(1);

      // an update, as an optimizer makes it: every later request sees the new weights
      const before = await split();
      tf.tidy(() => model.groups.forEach((g, l) => g.params.forEach((w, p) => w.assign(tf.sub(w, tf.mul(gradients.grads[l]![p]!, 0.5))))));
      const after = await alone();
      expect(after).not.toBe(before);
      expect(await split()).toBe(after);
      expect(pool.weightCopies).toBe(2);

      // the gradients too, after a request that found the weights unchanged: a thread's partial
      // sums join the tree where one thread's would, so they equal one thread's bit for bit
      const read = async (g: Awaited<ReturnType<typeof batchGradients>>): Promise<Float32Array[]> => {
        const values = await Promise.all(g.grads.flat().map(async (t) => (await t.data()) as Float32Array));
        g.grads.flat().forEach((t) => t.dispose());
        return values;
      };
      const splitGrads = await read(await batchGradients(model, batch, undefined, null, pool));
      expect(pool.weightCopies).toBe(2);
      const aloneGrads = await read(await batchGradients(model, batch, undefined, null, null));
      splitGrads.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(aloneGrads[i]!)));

      // one layer changed alone is a change too
      const first = model.groups[0]!.params[0]!;
      tf.tidy(() => first.assign(tf.mul(first, 0.5)));
      expect(await split()).toBe(await alone());
      expect(pool.weightCopies).toBe(3);
      gradients.grads.flat().forEach((t) => t.dispose());
    });
  });
});
