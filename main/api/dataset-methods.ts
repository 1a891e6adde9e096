/** Datasets and presets: what the designer offers before an experiment exists. */
import type { BatchscopeApi, DatasetPreview } from '../../common/api-contract';
import type { DatasetSpec } from '../../common/spec';
import { listDatasets, loadDataset } from '../engine/data/load-dataset';
import { classCounts, sampleImages } from '../engine/data/sample-images';
import { loadPresets } from './presets';
import type { ApiContext } from './api-context';

export function datasetMethods(ctx: ApiContext): Pick<BatchscopeApi, 'listDatasets' | 'datasetPreview' | 'listPresets'> {
  void ctx;
  const previews = new Map<string, DatasetPreview>();
  return {
    async listDatasets() {
      return listDatasets();
    },

    async datasetPreview({ dataset, perClass = 4 }) {
      const key = JSON.stringify([dataset, perClass]);
      const cached = previews.get(key);
      if (cached) return cached;
      const data = await loadDataset(dataset as DatasetSpec, 0);
      const preview: DatasetPreview = {
        classNames: data.classNames,
        classCounts: classCounts(data.train, data.numClasses),
        samples: sampleImages(data, perClass),
        inputShape: data.inputShape,
      };
      if (previews.size > 4) previews.delete(previews.keys().next().value!);
      previews.set(key, preview);
      return preview;
    },

    async listPresets() {
      return loadPresets();
    },
  };
}
