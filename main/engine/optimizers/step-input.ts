import type { LayerGroup } from '../models/layer-group';
import type { OptimizerStepInput } from './optimizer';

/**
 * Throws when a step's groups or gradients do not line up with the groups an
 * optimizer was built for: its state is indexed by (layer, param), and tfjs
 * broadcasting would otherwise turn a wrong gradient shape into a silent bug.
 */
export function assertStepInput(optimizer: string, groups: readonly LayerGroup[], input: OptimizerStepInput): void {
  if (input.groups.length !== groups.length || input.grads.length !== groups.length) {
    throw new Error(
      `${optimizer}: built for ${groups.length} layer groups, but the step has ${input.groups.length} groups and ${input.grads.length} gradient lists`,
    );
  }
  groups.forEach((group, l) => {
    const stepGroup = input.groups[l]!;
    const grads = input.grads[l]!;
    if (stepGroup.params.length !== group.params.length || grads.length !== group.params.length) {
      throw new Error(
        `${optimizer}: layer ${group.name} has ${group.params.length} params, but the step gives ${stepGroup.params.length} params and ${grads.length} gradients`,
      );
    }
    group.params.forEach((param, p) => {
      const grad = grads[p]!;
      const same = grad.shape.length === param.shape.length && grad.shape.every((d, i) => d === param.shape[i]);
      if (!same) {
        throw new Error(`${optimizer}: gradient of ${group.name} param ${p} has shape [${grad.shape}], expected [${param.shape}]`);
      }
    });
  });
  if (!Number.isFinite(input.lr)) throw new Error(`${optimizer}: learning rate at step ${input.step} is ${input.lr}`);
}
