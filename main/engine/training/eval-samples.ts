/**
 * Which samples a run evaluates on: the whole split, or (with `training.trainEvalSamples`
 * / `testEvalSamples`) a fixed subset drawn from the run seed's own stream for that split.
 * trainRun's evaluation and the GPU window both take their subsets from here, so a run
 * evaluates the same samples wherever it trains.
 */
import { createRng } from '../rng';
import { streamSeed } from '../seed-streams';

/** Sorted sample indices of one split, `limit` of them (all when unset or larger than the split). */
export function evalSamples(count: number, limit: number | undefined, runSeed: number, split: 'train' | 'test'): Int32Array {
  if (limit === undefined || limit >= count) return Int32Array.from({ length: count }, (_, i) => i);
  const seed = streamSeed(runSeed, split === 'train' ? 'trainEvalSubset' : 'testEvalSubset');
  return createRng(seed).permutation(count).slice(0, limit).sort();
}
