/**
 * What the API's method groups share: the store, the runner, the event emitter and the few
 * helpers every group needs. create-api.ts builds it once; each *-methods.ts file implements
 * one resource of the contract over it.
 */
import type { ApiEvent, BatchscopeApi, RunRecord } from '../../common/api-contract';
import type { ResourceBudget } from '../../common/resource-budget';
import type { JobRunner, RunnerStore } from '../runner/job-runner';
import type { Store } from '../store/open-store';
import type { RunRecord as StoredRun } from '../store/runs';

export interface ApiContext {
  store: Store;
  runner: JobRunner;
  runnerStore: RunnerStore;
  budget: ResourceBudget;
  emit(event: ApiEvent): void;
  /** the contract's record of a stored run, with its live progress */
  record(run: StoredRun): RunRecord;
  /** the stored run, or a NotFoundError */
  runOrThrow(id: number): StoredRun;
  /** experiment id to its spec, cached; drop an entry when the experiment goes */
  experimentSpecs: Map<number, unknown>;
  /** where downloaded data sets live: beside the database */
  datasetsDir: string;
  /** throws a StoreError when the database is open read-only */
  refuseWhenReadOnly(action: string): void;
  /** the whole API, for methods built on others (the report reads through the API like any client) */
  api(): BatchscopeApi;
}
