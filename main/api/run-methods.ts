/** Runs: listed, read, cancelled and deleted. */
import type { BatchscopeApi } from '../../common/api-contract';
import { ConflictError } from '../../common/api-errors';
import type { ApiContext } from './api-context';

export function runMethods(ctx: ApiContext): Pick<BatchscopeApi, 'listRuns' | 'getRun' | 'cancelRun' | 'deleteRun'> {
  const { store, runner, record, runOrThrow, refuseWhenReadOnly } = ctx;
  return {
    async listRuns({ experimentId, status, search }) {
      return store.runs.list({ ...(experimentId ? { experimentId } : {}), ...(status ? { status } : {}), ...(search ? { search } : {}) }).map(record);
    },

    async getRun({ id }) {
      return record(runOrThrow(id));
    },

    async cancelRun({ id }) {
      refuseWhenReadOnly(`cancelling run ${id}`);
      runOrThrow(id);
      runner.cancel(id);
      return record(runOrThrow(id));
    },

    async deleteRun({ id }) {
      refuseWhenReadOnly(`deleting run ${id}`);
      const run = runOrThrow(id);
      if (run.status === 'running') throw new ConflictError('run', id, 'is running: cancel it before deleting it');
      store.runs.delete(id);
      return { deleted: 1 };
    },
  };
}
