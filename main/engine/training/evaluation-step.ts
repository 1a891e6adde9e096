/**
 * The run's evaluation: inference-mode loss and accuracy on fixed seeded subsets of
 * the training and test splits (`training.trainEvalSamples`, `testEvalSamples`; the
 * whole split when unset), the same samples at every evaluation of the run.
 */
import type { EvalMetrics } from '../../../common/metrics';
import type { RunSpec } from '../../../common/spec';
import type { Dataset } from '../data/dataset';
import type { Model } from '../models/model';
import { evalSamples } from './eval-samples';
import { evaluateSplit } from './evaluate';

export interface EvaluationPoint {
  /** optimizer steps made so far */
  step: number;
  epoch: number;
}

export type RunEvaluation = (at: EvaluationPoint) => Promise<EvalMetrics>;

/** `wallMs` gives the run's elapsed time, read when an evaluation finishes. */
export function createRunEvaluation(model: Model, data: Dataset, training: RunSpec['training'], wallMs: () => number): RunEvaluation {
  const trainSamples = evalSamples(data.train.count, training.trainEvalSamples, training.seed, 'train');
  const testSamples = evalSamples(data.test.count, training.testEvalSamples, training.seed, 'test');
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
