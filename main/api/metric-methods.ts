/** Metrics: a run's series for the charts, and exports built in memory (main/store/export.ts). */
import type { BatchscopeApi } from '../../common/api-contract';
import { SpecError } from '../../common/spec';
import { exportContent } from '../store/export';
import { stepAxesAt } from '../store/step-axes';
import type { ApiContext } from './api-context';

export function metricMethods(ctx: ApiContext): Pick<BatchscopeApi, 'stepSeries' | 'evalSeries' | 'layerSeries' | 'exportData'> {
  const { store, runOrThrow } = ctx;
  return {
    async stepSeries({ runIds, field, maxPoints = 1000 }) {
      return runIds.map((runId) => {
        const series = store.metrics.series(runId, { source: 'step', field }, { maxPoints });
        return { runId, step: series.steps, ...stepAxesAt(store, runId, series.steps), value: series.values };
      });
    },

    async evalSeries({ runIds }) {
      return runIds.map((runId) => {
        const rows = store.metrics.evaluations(runId);
        return {
          runId,
          step: rows.map((r) => r.step),
          epoch: rows.map((r) => r.epoch),
          wallMs: rows.map((r) => r.wallMs),
          trainLoss: rows.map((r) => r.trainLoss),
          trainAccuracy: rows.map((r) => r.trainAccuracy),
          testLoss: rows.map((r) => r.testLoss),
          testAccuracy: rows.map((r) => r.testAccuracy),
          gap: rows.map((r) => r.gap),
        };
      });
    },

    async layerSeries({ runId, field, layers, maxPoints = 1000 }) {
      const run = runOrThrow(runId);
      const series = store.metrics.layerSeries(runId, [field], { ...(layers ? { layers } : {}), maxPoints });
      return {
        runId,
        field,
        layers: series.map((s) => {
          const layer = (s.metric as { layer: number }).layer;
          return { layer, name: run.layers?.[layer]?.name ?? `layer ${layer}`, step: s.steps, value: s.values };
        }),
      };
    },

    async exportData({ runIds, experimentId, format }) {
      if (experimentId === undefined && runIds === undefined) throw new SpecError([{ path: 'runIds', message: 'give runIds or experimentId' }]);
      return exportContent(store, experimentId !== undefined ? { experimentId } : { runIds: runIds! }, format);
    },
  };
}
