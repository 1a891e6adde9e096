/**
 * Every independent stream a run's seed feeds, in one table, so that no two purposes
 * share a stream by accident and one purpose's draws never move another's (e.g. the
 * size of the evaluation subset does not change the batch order).
 *
 * The salts are fixed: changing one changes every seeded result of its purpose. The
 * dataset's four keep the values they had in load-dataset.ts.
 */
import { deriveSeed } from './rng';

export const SEED_STREAM = {
  /** synthetic sets (blobs, spirals) */
  datasetGenerate: 1,
  /** the held-out test split of sets without one */
  datasetHoldOut: 2,
  datasetTrainLimit: 3,
  datasetTestLimit: 4,
  /** the per-epoch shuffles of the batch source */
  batchOrder: 5,
  /** which training samples the train-split evaluation uses */
  trainEvalSubset: 6,
  /** which test samples the test-split evaluation uses */
  testEvalSubset: 7,
  /** the curvature estimators' probes of one step (salted again by the step) */
  curvatureProbes: 8,
  /** the sharpness power iteration's random start vectors */
  sharpnessStart: 9,
} as const;

export type SeedStream = keyof typeof SEED_STREAM;

/** The seed of one purpose's stream, further salted (e.g. by the step) where a purpose needs many. */
export function streamSeed(runSeed: number, stream: SeedStream, ...salts: number[]): number {
  return deriveSeed(runSeed, SEED_STREAM[stream], ...salts);
}
