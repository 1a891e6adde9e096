/** Datasets and presets: what the designer offers before an experiment exists, and CIFAR-10 fetched on request. */
import type { BatchscopeApi, DatasetPreview } from '../../common/api-contract';
import type { DatasetSpec } from '../../common/spec';
import { listDatasets, loadDataset } from '../engine/data/load-dataset';
import { classCounts, sampleImages } from '../engine/data/sample-images';
import { cifar10DirIn, downloadCifar10 } from '../download/cifar10-download';
import { loadPresets } from './presets';
import type { ApiContext } from './api-context';

export function datasetMethods(ctx: ApiContext): Pick<BatchscopeApi, 'listDatasets' | 'downloadDataset' | 'datasetPreview' | 'listPresets'> {
  const previews = new Map<string, DatasetPreview>();
  const downloads = new Map<string, Promise<{ dir: string; downloaded: boolean }>>();
  return {
    async listDatasets() {
      return listDatasets({ cifar10Dir: cifar10DirIn(ctx.datasetsDir) });
    },

    async downloadDataset({ kind }) {
      // one download per data set at a time: a second click joins the first
      let pending = downloads.get(kind);
      if (!pending) {
        let lastEmitMs = 0;
        pending = downloadCifar10({
          datasetsDir: ctx.datasetsDir,
          onProgress: ({ receivedBytes, totalBytes }) => {
            const now = Date.now();
            if (now - lastEmitMs < 250 && receivedBytes !== totalBytes) return;
            lastEmitMs = now;
            ctx.emit({ type: 'download-progress', kind, receivedBytes, totalBytes });
          },
        }).finally(() => downloads.delete(kind));
        downloads.set(kind, pending);
      }
      return pending;
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
