/**
 * A stand-in for createApi's result: two methods with real behaviour, one that
 * fails like a spec error, one that crashes, and a subscribe the test drives.
 * The transports are real; only this object is a stub.
 */
import type { ApiEvent, DatasetListing } from '../../common/api-contract';
import type { ApiListener, BatchscopeClient } from '../../common/api-client';
import { SpecError } from '../../common/spec';

export interface StandInApi {
  api: BatchscopeClient;
  emit(event: ApiEvent): void;
  listenerCount(): number;
  calls: { method: string; input: unknown }[];
}

export function createStandInApi(): StandInApi {
  const listeners = new Set<ApiListener>();
  const calls: { method: string; input: unknown }[] = [];
  const datasets: DatasetListing[] = [{ kind: 'synthetic', description: 'Gaussian blobs', available: true, trainSamples: 1000, testSamples: 200 }];
  const notImplemented = (method: string) => async (input: unknown) => {
    calls.push({ method, input });
    throw new Error(`${method} is not part of the stand-in`);
  };
  const api = {
    listDatasets: async (input: unknown) => {
      calls.push({ method: 'listDatasets', input });
      return datasets;
    },
    listRuns: async (input: unknown) => {
      calls.push({ method: 'listRuns', input });
      return [];
    },
    createExperiment: async (input: unknown) => {
      calls.push({ method: 'createExperiment', input });
      throw new SpecError([{ path: 'batch.microBatch', message: 'must divide batch.size' }]);
    },
    getRun: notImplemented('getRun'),
    subscribe: (listener: ApiListener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  } as unknown as BatchscopeClient;
  return {
    api,
    calls,
    emit: (event) => {
      for (const listener of listeners) listener(event);
    },
    listenerCount: () => listeners.size,
  };
}
