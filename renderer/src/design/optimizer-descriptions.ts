/** One line per optimizer, shown on its card in the Design view. */
import type { OptimizerName } from '../../../common/spec';

export const optimizerTitles: Record<OptimizerName, string> = {
  sgd: 'SGD',
  momentum: 'Momentum',
  adam: 'Adam',
  adamw: 'AdamW',
  lars: 'LARS',
  lamb: 'LAMB',
  cblr: 'CBLR',
  mclr: 'MCLR',
};

export const optimizerDescriptions: Record<OptimizerName, string> = {
  sgd: 'plain stochastic gradient descent',
  momentum: 'heavy-ball or Nesterov momentum',
  adam: 'adaptive moments (Kingma & Ba 2015), coupled L2',
  adamw: 'Adam with decoupled weight decay (Loshchilov & Hutter 2019)',
  lars: 'layer-wise trust ratio ‖w‖/‖g‖ (You et al. 2017)',
  lamb: 'layer-wise trust ratio over Adam updates (You et al. 2020)',
  cblr: 'curvature-based layer-wise rate, 1/κ_l (Gao & Zhong 2020)',
  mclr: 'median of element-wise curvature per layer (Gao & Zhong 2020)',
};
