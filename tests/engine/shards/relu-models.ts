/** Small ReLU networks for the split-diagnostics tests: the kinds users train, with kinks and max-pool choices to freeze. */
import { modelSpecSchema, type ModelSpec } from '../../../common/spec';

/** conv-pool ×2 and a dense layer, on 8×8×1 inputs: four layers */
export const reluCnn: ModelSpec = modelSpecSchema.parse({
  kind: 'cnn',
  conv: [
    { filters: 4, kernelSize: 3, stride: 1, padding: 'same', pool: 2 },
    { filters: 6, kernelSize: 3, stride: 1, padding: 'same', pool: 2 },
  ],
  dense: [12],
});
export const RELU_CNN_INPUT = [8, 8, 1];

/** four dense layers, on 64 features */
export const reluMlp: ModelSpec = modelSpecSchema.parse({ kind: 'mlp', hidden: [16, 12, 8], activation: 'relu' });
export const RELU_MLP_INPUT = [64];

export const CLASSES = 5;
