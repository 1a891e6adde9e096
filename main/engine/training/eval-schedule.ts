import type { RunSpec } from '../../../common/spec';
import type { BatchPlan } from './batch-plan';

/** Decides after which steps train/test evaluation runs; the last step always evaluates. */
export function createEvalSchedule(training: RunSpec['training'], plan: BatchPlan): (step: number, epoch: number) => boolean {
  const { evalEverySteps, evalEveryEpochs } = training;
  if (evalEverySteps !== undefined) return (step) => step % evalEverySteps === 0 || step === plan.totalSteps;
  const everyEpochs = evalEveryEpochs ?? (plan.totalEpochs >= 2 ? 1 : null);
  if (everyEpochs !== null) {
    let next = everyEpochs;
    return (step, epoch) => {
      if (step === plan.totalSteps) return true;
      if (epoch + 1e-9 < next) return false;
      while (next <= epoch + 1e-9) next += everyEpochs;
      return true;
    };
  }
  const every = Math.max(1, Math.ceil(plan.totalSteps / 5));
  return (step) => step % every === 0 || step === plan.totalSteps;
}
