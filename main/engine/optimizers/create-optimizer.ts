import type { OptimizerSpec } from '../../../common/spec';
import type { LayerGroup } from '../models/layer-group';
import { AdamOptimizer } from './adam';
import { createCblr } from './cblr';
import { LambOptimizer } from './lamb';
import { LarsOptimizer } from './lars';
import { createMclr } from './mclr';
import { MomentumOptimizer } from './momentum';
import type { LayerOptimizer } from './optimizer';
import { SgdOptimizer } from './sgd';

/** The layer-wise optimizer a (parsed, defaults filled) spec names, with its state allocated for `groups`. */
export function createOptimizer(spec: OptimizerSpec, groups: LayerGroup[]): LayerOptimizer {
  switch (spec.name) {
    case 'sgd':
      return new SgdOptimizer(spec, groups);
    case 'momentum':
      return new MomentumOptimizer(spec, groups);
    case 'adam':
    case 'adamw':
      return new AdamOptimizer(spec, groups);
    case 'lars':
      return new LarsOptimizer(spec, groups);
    case 'lamb':
      return new LambOptimizer(spec, groups);
    case 'cblr':
      return createCblr(spec, groups);
    case 'mclr':
      return createMclr(spec, groups);
    default: {
      const unknown: never = spec;
      throw new Error(`unknown optimizer ${JSON.stringify(unknown)}`);
    }
  }
}
