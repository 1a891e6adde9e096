import type { ModelSpec } from '../../../common/spec';
import type { Model } from './model';
import { buildMlp } from './mlp';
import { buildCnn } from './cnn';
import { buildResnet } from './resnet';

/** Builds the network a spec declares, for a dataset's input shape and class count. */
export function buildModel(spec: ModelSpec, inputShape: number[], numClasses: number, seed: number): Model {
  switch (spec.kind) {
    case 'mlp':
      return buildMlp({ inputShape, numClasses, hidden: spec.hidden, activation: spec.activation, seed });
    case 'cnn':
      return buildCnn({ inputShape, numClasses, conv: spec.conv, dense: spec.dense, activation: spec.activation, seed });
    case 'resnet':
      return buildResnet({ inputShape, numClasses, stages: spec.stages, width: spec.width, seed });
  }
}
