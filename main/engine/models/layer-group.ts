import type * as tf from '@tensorflow/tfjs-core';

export type ParamRole = 'weight' | 'bias' | 'gamma' | 'beta';

/**
 * One trainable layer's parameters, kept together: every diagnostic and every
 * layer-wise optimizer (LARS, LAMB, CBLR, MCLR) works on these groups.
 */
export interface LayerGroup {
  /** stable name, e.g. `dense_1`, `conv_2`, `block1_bn_a` */
  name: string;
  kind: 'dense' | 'conv' | 'batchnorm';
  params: tf.Variable[];
  roles: ParamRole[];
}

/** True for parameters LARS/LAMB leave out of layer-wise adaptation by default. */
export function isBiasOrNorm(group: LayerGroup, paramIndex: number): boolean {
  return group.kind === 'batchnorm' || group.roles[paramIndex] !== 'weight';
}
