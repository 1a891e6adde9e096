/**
 * The run's evaluation: inference-mode loss and accuracy on fixed seeded subsets of
 * the training and test splits (`training.trainEvalSamples`, `testEvalSamples`; the
 * whole split when unset), the same samples at every evaluation of the run.
 */
import type { EvalMetrics } from '../../../common/metrics';
import type { RunSpec } from '../../../common/spec';
import type { Dataset } from '../data/dataset';
import type { Model } from '../models/model';
import { createRng } from '../rng';
import { streamSeed } from '../seed-streams';
import { evaluateSplit } from './evaluate';

export interface EvaluationPoint {
  /** optimizer steps made so far */
  step: number;
  epoch: number;
}

export type RunEvaluation = (at: EvaluationPoint) => Promise<EvalMetrics>;

/** `wallMs` gives the run's elapsed time, read when an evaluation finishes. */
export function createRunEvaluation(model: Model, data: Dataset, training: RunSpec['training'], wallMs: () => number): RunEvaluation {
  const trainSamples = evalIndices(data.train.count, training.trainEvalSamples, streamSeed(training.seed, 'trainEvalSubset'));
  const testSamples = evalIndices(data.test.count, training.testEvalSamples, streamSeed(training.seed, 'testEvalSubset'));
  return async ({ step, epoch }) => {
    const train = await evaluateSplit(model, data.train, trainSamples, data.inputShape, data.numClasses);
    const test = await evaluateSplit(model, data.test, testSamples, data.inputShape, data.numClasses);
    return {
      step,
      epoch,
      trainLoss: train.loss,
      trainAccuracy: train.accuracy,
      testLoss: test.loss,
      testAccuracy: test.accuracy,
      gap: train.accuracy - test.accuracy,
      wallMs: wallMs(),
    };
  };
}

function evalIndices(count: number, limit: number | undefined, seed: number): Int32Array {
  if (limit === undefined || limit >= count) return Int32Array.from({ length: count }, (_, i) => i);
  return createRng(seed).permutation(count).slice(0, limit).sort();
}
