/**
 * The networks and batch sizes the step benchmarks time, described once so the
 * Batchscope, stock-tfjs and PyTorch children build the same thing.
 */
import type { ModelSpec } from '../common/spec';

export type WorkloadName = 'mlp' | 'cnn';

export interface Workload {
  name: WorkloadName;
  /** what the table calls it */
  label: string;
  model: ModelSpec;
  /** one MNIST sample, NHWC */
  inputShape: [number, number, number];
  numClasses: number;
  batchSize: number;
}

export const workloads: Record<WorkloadName, Workload> = {
  mlp: {
    name: 'mlp',
    label: 'MLP 784-256-128-10',
    model: { kind: 'mlp', hidden: [256, 128], activation: 'relu' },
    inputShape: [28, 28, 1],
    numClasses: 10,
    batchSize: 256,
  },
  cnn: {
    name: 'cnn',
    label: 'CNN conv5·16-pool-conv5·32-pool-128-10',
    model: {
      kind: 'cnn',
      conv: [
        { filters: 16, kernelSize: 5, stride: 1, padding: 'same', pool: 2 },
        { filters: 32, kernelSize: 5, stride: 1, padding: 'same', pool: 2 },
      ],
      dense: [128],
      activation: 'relu',
    },
    inputShape: [28, 28, 1],
    numClasses: 10,
    batchSize: 128,
  },
};

export function workloadNamed(name: string | undefined): Workload {
  const w = workloads[name as WorkloadName];
  if (!w) throw new Error(`unknown workload '${name}' (expected one of ${Object.keys(workloads).join(', ')})`);
  return w;
}

/** Plain-SGD learning rate used by every implementation (its value does not change the cost). */
export const BENCH_LR = 0.05;
