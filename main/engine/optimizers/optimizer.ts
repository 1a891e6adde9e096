import type * as tf from '@tensorflow/tfjs-core';
import type { LayerGroup } from '../models/layer-group';

/** κ_l per layer and an estimate of each one's error (NaN where there is none) */
export interface LayerCurvature {
  kappa: number[];
  error: number[];
}

/**
 * Curvature on demand, for the optimizers that need it (CBLR, MCLR). The training
 * loop supplies it for the current batch; calls cost extra gradient passes, so
 * optimizers call it only when their refresh period comes round.
 */
export interface CurvatureOracle {
  /** κ_l per layer with the given estimator (see ../shared/paper.md) */
  layerCurvature(estimator: 'gradient-difference' | 'loss-difference' | 'hutchinson' | 'all-layers' | 'lars-proxy'): Promise<LayerCurvature>;
  /** element-wise |diag H_ll| estimates for layer l (Hutchinson), flattened over its params */
  diagonalCurvature(layer: number): Promise<Float32Array>;
}

export interface OptimizerStepInput {
  groups: LayerGroup[];
  /** grads[l][p] is the gradient of groups[l].params[p] (mean loss over the batch) */
  grads: tf.Tensor[][];
  /** the scheduled global learning rate for this step (after scaling and warmup) */
  lr: number;
  /** 0-based optimizer step */
  step: number;
  curvature?: CurvatureOracle;
}

export interface LayerOptimizer {
  readonly name: string;
  /**
   * Whether `apply` needs a curvature oracle: the training loop then builds one for
   * every step (costing passes only when the optimizer calls it) and passes it in.
   */
  readonly needsCurvature: boolean;
  /**
   * Updates the variables in place and returns the learning rate it applied to
   * each layer (what the charts show as the effective learning rate).
   */
  apply(input: OptimizerStepInput): Promise<number[]>;
  /** the per-layer curvature the optimizer last used, if it uses one */
  lastCurvature?(): number[] | null;
  dispose(): void;
}
