/** Runs: one attempt at training an experiment's (sweep-expanded) config, and its lifecycle. */
import type { BackendInfo, GpuAdapterInfo, LayerInfo, RunStarted, RunStatus, RunSummary } from '../../common/metrics';
import { parseRunSpec, type RunSpec, type RunSpecInput } from '../../common/spec';
import { RUN_STATUS_TRANSITIONS, statusesLeadingTo } from './run-status';
import { likePattern } from './search-pattern';
import type { StoreContext } from './store-context';
import { StoreError } from './store-error';

export interface RunRecord {
  id: number;
  experimentId: number;
  experimentName: string;
  sweepIndex: number;
  /** the resolved spec the run trains with */
  config: RunSpec;
  seed: number;
  backend: BackendInfo | null;
  /** the WebGPU adapter it trained on; null for other backends and runs not started */
  gpuAdapter: GpuAdapterInfo | null;
  layers: LayerInfo[] | null;
  status: RunStatus;
  error: string | null;
  createdAtMs: number;
  startedAtMs: number | null;
  endedAtMs: number | null;
  /** planned optimizer steps, known once the worker started */
  totalSteps: number | null;
  /** threads the run trains on, known once the worker started (null for runs recorded before) */
  threads: number | null;
  /** the final metrics, for runs that finished (completed, diverged, or cancelled by the worker) */
  summary: RunSummary | null;
  workerPid: number | null;
  heartbeatAtMs: number | null;
  /** the BullMQ queue the run was handed to; null for a run in a local child process */
  queueName: string | null;
  /** the remote worker that took the run (`batchscope worker --name`) and its host */
  workerName: string | null;
  workerHost: string | null;
}

export interface NewRun {
  experimentId: number;
  /** validated here; its training.seed becomes the run's seed */
  config: RunSpecInput;
  /** position in the experiment's sweep expansion; default 0 */
  sweepIndex?: number;
}

export interface RunFilter {
  experimentId?: number;
  status?: RunStatus | readonly RunStatus[];
  /** matches the experiment's name, notes and tags, the run's name and error, or its id */
  search?: string;
  limit?: number;
  offset?: number;
}

export interface RunStatusChange {
  status: RunStatus;
  error?: string;
  summary?: RunSummary;
  workerPid?: number;
}

export interface InterruptOptions {
  /** workers known to be alive; their runs are left alone */
  livePids?: ReadonlySet<number>;
  /**
   * asked inside the transaction for each running run's worker: a run claimed by another
   * process after a list of live pids was taken would otherwise look orphaned
   */
  isAlive?: (pid: number) => boolean;
  /** also leave alone runs whose heartbeat is younger than this */
  staleAfterMs?: number;
}

export interface RunStore {
  create(input: NewRun): RunRecord;
  /** newest first */
  list(filter?: RunFilter): RunRecord[];
  get(id: number): RunRecord | undefined;
  /**
   * Moves a run along its lifecycle (see run-status.ts), atomically: the change applies only if
   * the run is, at that moment, in a status allowed to lead to `change.status`; otherwise a
   * StoreError 'invalid-transition' says where it is. Entering `running` stamps startedAtMs
   * and the heartbeat; entering an ended status stamps endedAtMs.
   */
  updateStatus(id: number, change: RunStatusChange): RunRecord;
  /** running → summary.status, keeping the summary */
  finish(id: number, summary: RunSummary): RunRecord;
  /** what the worker reported when it started: backend, layers, planned steps */
  recordStarted(id: number, info: RunStarted): RunRecord;
  /** stamps the heartbeat of a running run; a no-op for any other status */
  heartbeat(id: number): void;
  /** records the process running a run (claimed first with updateStatus → running) */
  setWorkerPid(id: number, pid: number): void;
  /** records that a claimed run was handed to a BullMQ queue */
  setQueue(id: number, queueName: string): void;
  /** records the remote worker that took a queued-remote run */
  setRemoteWorker(id: number, worker: { name: string; host: string }): void;
  /**
   * Deletes what a running run stored (steps, layers, evaluations, events): a remote run whose
   * worker was lost starts again from scratch (spec `retries`), and its rows must not mix with
   * the new attempt's.
   */
  clearMetrics(id: number): void;
  /**
   * Marks `running` runs whose worker is gone as `interrupted` and returns their ids. Queued runs
   * stay queued: nothing of theirs was lost, and the runner may still start them. Runs handed to
   * a BullMQ queue are left alone: their coordinator decides (see main/distributed).
   *
   * With no options every running run is marked: right for the start-up of the only process
   * that uses the file, since no worker of a previous session can still be ours. When several
   * processes share the file (the app and a CLI run), pass the pids still alive (e.g. checked
   * with process.kill(pid, 0)) and/or staleAfterMs, so another process's live runs are spared.
   */
  markInterruptedRuns(options?: InterruptOptions): number[];
  /** deletes the run and its metrics; refused while it is running */
  delete(id: number): void;
}

interface RunRow {
  id: number;
  experiment_id: number;
  experiment_name: string;
  sweep_index: number;
  config: string;
  seed: number;
  backend: string | null;
  gpu_adapter: string | null;
  layers: string | null;
  status: RunStatus;
  error: string | null;
  created_at_ms: number;
  started_at_ms: number | null;
  ended_at_ms: number | null;
  total_steps: number | null;
  threads: number | null;
  summary: string | null;
  worker_pid: number | null;
  heartbeat_at_ms: number | null;
  queue_name: string | null;
  worker_name: string | null;
  worker_host: string | null;
}

const SELECT = `SELECT r.*, e.name AS experiment_name FROM runs r JOIN experiments e ON e.id = r.experiment_id`;

function parseJson<T>(text: string | null | undefined): T | null {
  // undefined: a column a file opened at an older schema version does not have yet
  return text === null || text === undefined ? null : (JSON.parse(text) as T);
}

function toRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    experimentId: row.experiment_id,
    experimentName: row.experiment_name,
    sweepIndex: row.sweep_index,
    config: JSON.parse(row.config) as RunSpec,
    seed: row.seed,
    backend: parseJson<BackendInfo>(row.backend),
    gpuAdapter: parseJson<GpuAdapterInfo>(row.gpu_adapter),
    layers: parseJson<LayerInfo[]>(row.layers),
    status: row.status,
    error: row.error,
    createdAtMs: row.created_at_ms,
    startedAtMs: row.started_at_ms,
    endedAtMs: row.ended_at_ms,
    totalSteps: row.total_steps,
    threads: row.threads ?? null,
    summary: parseJson<RunSummary>(row.summary),
    workerPid: row.worker_pid,
    heartbeatAtMs: row.heartbeat_at_ms,
    queueName: row.queue_name,
    workerName: row.worker_name,
    workerHost: row.worker_host,
  };
}

/** Builds the WHERE clause from the filters present; the SQL text varies only by which are. */
function listQuery(filter: RunFilter): { sql: string; params: Record<string, unknown> } {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (filter.experimentId !== undefined) {
    where.push('r.experiment_id = :experimentId');
    params.experimentId = filter.experimentId;
  }
  if (filter.status !== undefined) {
    where.push('r.status IN (SELECT value FROM json_each(:statuses))');
    params.statuses = JSON.stringify(typeof filter.status === 'string' ? [filter.status] : filter.status);
  }
  const search = filter.search?.trim();
  if (search) {
    where.push(`(e.name LIKE :pattern ESCAPE '\\' OR e.notes LIKE :pattern ESCAPE '\\' OR e.tags LIKE :pattern ESCAPE '\\'
      OR (r.config ->> '$.name') LIKE :pattern ESCAPE '\\' OR r.error LIKE :pattern ESCAPE '\\' OR CAST(r.id AS TEXT) = :search)`);
    params.pattern = likePattern(search);
    params.search = search;
  }
  params.limit = filter.limit ?? -1;
  params.offset = filter.offset ?? 0;
  const sql = `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY r.created_at_ms DESC, r.id DESC LIMIT :limit OFFSET :offset`;
  return { sql, params };
}

export function createRunStore(ctx: StoreContext): RunStore {
  const get = (id: number): RunRecord | undefined => {
    const row = ctx.statement(`${SELECT} WHERE r.id = ?`).get(id) as RunRow | undefined;
    return row && toRecord(row);
  };
  const mustGet = (id: number): RunRecord => {
    const record = get(id);
    if (!record) throw new StoreError('not-found', ctx.file, `run ${id} does not exist in ${ctx.file}`);
    return record;
  };
  const refuseTransition = (run: RunRecord, to: RunStatus): never => {
    const allowed = RUN_STATUS_TRANSITIONS[run.status];
    throw new StoreError(
      'invalid-transition',
      ctx.file,
      `run ${run.id} is ${run.status} and cannot become ${to} (from ${run.status} it can become ${allowed.length ? allowed.join(', ') : 'nothing: it has ended'})`,
    );
  };

  const updateStatus = (id: number, change: RunStatusChange): RunRecord =>
    ctx.guard(`setting run ${id} to ${change.status}`, () =>
      ctx.db.transaction(() => {
        if (change.summary && change.summary.status !== change.status) {
          throw new RangeError(`run ${id}: a summary with status ${change.summary.status} cannot end the run as ${change.status}`);
        }
        const result = ctx
          .statement(
            `UPDATE runs SET
               status = :to,
               error = coalesce(:error, error),
               summary = coalesce(:summary, summary),
               worker_pid = coalesce(:workerPid, worker_pid),
               started_at_ms = CASE WHEN :to = 'running' THEN :now ELSE started_at_ms END,
               heartbeat_at_ms = CASE WHEN :to = 'running' THEN :now ELSE heartbeat_at_ms END,
               ended_at_ms = CASE WHEN :to IN ('queued', 'running') THEN ended_at_ms ELSE :now END
             WHERE id = :id AND status IN (SELECT value FROM json_each(:from))`,
          )
          .run({
            id,
            to: change.status,
            from: JSON.stringify(statusesLeadingTo(change.status)),
            error: change.error ?? null,
            summary: change.summary ? JSON.stringify(change.summary) : null,
            workerPid: change.workerPid ?? null,
            now: Date.now(),
          });
        if (result.changes === 0) refuseTransition(mustGet(id), change.status);
        return mustGet(id);
      }).immediate(),
    );

  return {
    create(input) {
      const config = parseRunSpec(input.config);
      return ctx.guard('saving the run', () => {
        if (!ctx.statement('SELECT 1 FROM experiments WHERE id = ?').get(input.experimentId)) {
          throw new StoreError('not-found', ctx.file, `experiment ${input.experimentId} does not exist in ${ctx.file}; a run needs one`);
        }
        const result = ctx
          .statement('INSERT INTO runs (experiment_id, sweep_index, config, seed, status, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)')
          .run(input.experimentId, input.sweepIndex ?? 0, JSON.stringify(config), config.training.seed, 'queued', Date.now());
        return mustGet(Number(result.lastInsertRowid));
      });
    },

    list(filter = {}) {
      return ctx.guard('listing runs', () => {
        const { sql, params } = listQuery(filter);
        return (ctx.statement(sql).all(params) as RunRow[]).map(toRecord);
      });
    },

    get: (id) => ctx.guard('reading the run', () => get(id)),

    updateStatus,

    finish: (id, summary) => updateStatus(id, { status: summary.status, summary }),

    recordStarted(id, info) {
      return ctx.guard(`recording the start of run ${id}`, () =>
        ctx.db.transaction(() => {
          const result = ctx
            .statement(`UPDATE runs SET backend = ?, gpu_adapter = ?, layers = ?, total_steps = ?, threads = ? WHERE id = ? AND status IN ('queued', 'running')`)
            .run(JSON.stringify(info.backend), info.backend.adapter ? JSON.stringify(info.backend.adapter) : null, JSON.stringify(info.layers), info.totalSteps, info.threads ?? null, id);
          const run = mustGet(id);
          if (result.changes === 0) {
            throw new StoreError('invalid-transition', ctx.file, `run ${id} is ${run.status}: its start can only be recorded while it is queued or running`);
          }
          return run;
        }).immediate(),
      );
    },

    heartbeat(id) {
      ctx.guard(`stamping the heartbeat of run ${id}`, () =>
        ctx.statement(`UPDATE runs SET heartbeat_at_ms = ? WHERE id = ? AND status = 'running'`).run(Date.now(), id),
      );
    },

    setWorkerPid(id, pid) {
      ctx.guard(`recording the worker of run ${id}`, () =>
        ctx.statement(`UPDATE runs SET worker_pid = ?, heartbeat_at_ms = ? WHERE id = ? AND status = 'running'`).run(pid, Date.now(), id),
      );
    },

    setQueue(id, queueName) {
      ctx.guard(`recording the queue of run ${id}`, () =>
        ctx.statement(`UPDATE runs SET queue_name = ?, heartbeat_at_ms = ? WHERE id = ? AND status = 'running'`).run(queueName, Date.now(), id),
      );
    },

    setRemoteWorker(id, worker) {
      ctx.guard(`recording the worker of run ${id}`, () =>
        ctx.statement(`UPDATE runs SET worker_name = ?, worker_host = ?, heartbeat_at_ms = ? WHERE id = ? AND status = 'running'`).run(worker.name, worker.host, Date.now(), id),
      );
    },

    clearMetrics(id) {
      ctx.guard(`clearing the metrics of run ${id} for its retry`, () =>
        ctx.db.transaction(() => {
          for (const table of ['step_metrics', 'layer_metrics', 'evaluations', 'run_events']) ctx.statement(`DELETE FROM ${table} WHERE run_id = ?`).run(id);
        }).immediate(),
      );
    },

    markInterruptedRuns(options = {}) {
      return ctx.guard('marking interrupted runs', () =>
        ctx.db.transaction(() => {
          const now = Date.now();
          // runs on a queue are left to the coordinator following that queue: only it can tell
          // whether their remote worker is alive
          const running = ctx.statement(`SELECT id, worker_pid, heartbeat_at_ms FROM runs WHERE status = 'running' AND queue_name IS NULL`).all() as Pick<
            RunRow,
            'id' | 'worker_pid' | 'heartbeat_at_ms'
          >[];
          const gone = running.filter((run) => {
            if (run.worker_pid !== null && (options.livePids?.has(run.worker_pid) || options.isAlive?.(run.worker_pid))) return false;
            if (options.staleAfterMs !== undefined && run.heartbeat_at_ms !== null && now - run.heartbeat_at_ms < options.staleAfterMs) return false;
            return true;
          });
          const mark = ctx.statement(`UPDATE runs SET status = 'interrupted', error = ?, ended_at_ms = ? WHERE id = ? AND status = 'running'`);
          for (const run of gone) {
            const worker = run.worker_pid === null ? 'its worker' : `its worker (pid ${run.worker_pid})`;
            mark.run(`${worker} stopped without reporting back: Batchscope or the machine stopped while the run was running. Metrics saved up to then are kept.`, now, run.id);
          }
          return gone.map((run) => run.id);
        }).immediate(),
      );
    },

    delete(id) {
      ctx.guard(`deleting run ${id}`, () =>
        ctx.db.transaction(() => {
          const run = mustGet(id);
          if (run.status === 'running') {
            throw new StoreError('run-active', ctx.file, `run ${id} cannot be deleted while it is running; cancel it first`);
          }
          ctx.statement('DELETE FROM runs WHERE id = ?').run(id);
        }).immediate(),
      );
    },
  };
}
