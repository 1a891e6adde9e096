/**
 * The schema, as an ordered list of migrations. A file records every migration applied to it
 * in `schema_version`; opening a file applies the missing ones in order, each in its own
 * transaction. Never edit a migration that has shipped: add the next one.
 *
 * Key choices (see docs/benchmarks.md, "Store", for the measurements behind them):
 * - Metric tables are WITHOUT ROWID with composite primary keys led by run_id, so a run's rows
 *   sit together on disk: ingest appends, "all metrics of run R" and "metric M for runs
 *   R1..Rn" are primary-key range scans, and the key doubles as the index ON DELETE CASCADE needs.
 * - layer_metrics is keyed (run_id, layer, step), not (run_id, step, layer): a layer's series
 *   is then one contiguous range, which makes per-layer charts ~20x faster to query, at the
 *   price of a slower ingest (20 insertion points per run instead of one append) that the
 *   writer offsets by inserting each flush grouped by layer.
 * - NaN cannot be stored by SQLite: a NaN written to a REAL column becomes NULL. Every metric
 *   value column is therefore nullable (NULL = NaN, or "not computed" for curvature and the
 *   like): a NOT NULL there would let one NaN from the engine fail a whole batch of rows.
 * - Times are integer milliseconds since the Unix epoch (`*_ms`).
 */
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

const RUN_STATUSES = `'queued', 'running', 'completed', 'failed', 'diverged', 'cancelled', 'interrupted'`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'experiments, runs and metric tables',
    up(db) {
      db.exec(`
        CREATE TABLE experiments (
          id            INTEGER PRIMARY KEY AUTOINCREMENT,
          name          TEXT    NOT NULL,
          notes         TEXT    NOT NULL DEFAULT '',
          tags          TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(tags) AND json_type(tags) = 'array'),
          -- the validated, defaults-filled RunSpec (common/spec.ts)
          spec          TEXT    NOT NULL CHECK (json_valid(spec)),
          created_at_ms INTEGER NOT NULL
        );

        -- AUTOINCREMENT: a deleted run's id is never handed to a new run, so a stale id held
        -- by a window or a chart cannot silently point at someone else's data.
        CREATE TABLE runs (
          id            INTEGER PRIMARY KEY AUTOINCREMENT,
          experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
          -- position in the experiment's sweep expansion; 0 for a single run
          sweep_index   INTEGER NOT NULL DEFAULT 0,
          -- the resolved RunSpec this run trains with
          config        TEXT    NOT NULL CHECK (json_valid(config)),
          seed          INTEGER NOT NULL,
          -- BackendInfo and LayerInfo[] (common/metrics.ts), known once the worker started
          backend       TEXT    CHECK (backend IS NULL OR json_valid(backend)),
          layers        TEXT    CHECK (layers IS NULL OR json_valid(layers)),
          status        TEXT    NOT NULL DEFAULT 'queued' CHECK (status IN (${RUN_STATUSES})),
          error         TEXT,
          created_at_ms INTEGER NOT NULL,
          started_at_ms INTEGER,
          ended_at_ms   INTEGER,
          total_steps   INTEGER,
          -- the final RunSummary
          summary       TEXT    CHECK (summary IS NULL OR json_valid(summary)),
          worker_pid    INTEGER,
          heartbeat_at_ms INTEGER
        );
        CREATE INDEX runs_by_experiment ON runs(experiment_id, sweep_index);

        CREATE TABLE step_metrics (
          run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          step         INTEGER NOT NULL,
          epoch        REAL   ,
          loss         REAL,
          accuracy     REAL,
          batch_size   INTEGER,
          samples_seen INTEGER,
          discarded    INTEGER,
          lr           REAL,
          loss_update  REAL,
          step_ms      REAL   ,
          wall_ms      REAL   ,
          PRIMARY KEY (run_id, step)
        ) WITHOUT ROWID;

        CREATE TABLE layer_metrics (
          run_id            INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          layer             INTEGER NOT NULL,
          step              INTEGER NOT NULL,
          grad_norm         REAL,
          weight_norm       REAL,
          update_norm       REAL,
          effective_lr      REAL,
          loss_update_share REAL,
          curvature         REAL,
          PRIMARY KEY (run_id, layer, step)
        ) WITHOUT ROWID;

        CREATE TABLE evaluations (
          run_id         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          step           INTEGER NOT NULL,
          epoch          REAL   ,
          train_loss     REAL,
          train_accuracy REAL,
          test_loss      REAL,
          test_accuracy  REAL,
          gap            REAL,
          wall_ms        REAL   ,
          PRIMARY KEY (run_id, step)
        ) WITHOUT ROWID;

        -- several events may share a step, so they keep a rowid for their order;
        -- kind is not CHECKed so the worker protocol can add kinds without a migration
        CREATE TABLE run_events (
          id     INTEGER PRIMARY KEY,
          run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          step   INTEGER NOT NULL,
          kind   TEXT    NOT NULL,
          detail TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(detail))
        );
        CREATE INDEX run_events_by_run ON run_events(run_id, step, id);
      `);
    },
  },
  {
    version: 2,
    description: 'indexes for run lists: newest first, by status',
    up(db) {
      db.exec(`
        CREATE INDEX runs_by_created ON runs(created_at_ms DESC, id DESC);
        CREATE INDEX runs_by_status ON runs(status, created_at_ms DESC);
        CREATE INDEX experiments_by_created ON experiments(created_at_ms DESC, id DESC);
      `);
    },
  },
  {
    version: 3,
    description: 'remote runs (BullMQ queue, worker name and host) and idempotent run events',
    up(db) {
      // queue_name is set for runs handed to a BullMQ queue: their worker is on another
      // machine, so a local pid check cannot tell whether they are alive.
      // run_events.seq numbers a remote run's events; the unique index makes a batch that is
      // delivered twice (a coordinator killed between its SQLite commit and the XACK) a no-op.
      db.exec(`
        ALTER TABLE runs ADD COLUMN queue_name TEXT;
        ALTER TABLE runs ADD COLUMN worker_name TEXT;
        ALTER TABLE runs ADD COLUMN worker_host TEXT;
        ALTER TABLE run_events ADD COLUMN seq INTEGER;
        CREATE UNIQUE INDEX run_events_by_seq ON run_events(run_id, seq) WHERE seq IS NOT NULL;
      `);
    },
  },
  {
    version: 4,
    description: 'layer_metrics.curvature_error: each κ_l estimate carries its own error estimate',
    up(db) {
      // nullable like every metric column; rows written before have no error estimate (NULL)
      db.exec(`ALTER TABLE layer_metrics ADD COLUMN curvature_error REAL;`);
    },
  },
  {
    version: 5,
    description: 'runs: the threads a run trained on (data-parallel shards)',
    up(db) {
      db.exec(`ALTER TABLE runs ADD COLUMN threads INTEGER CHECK (threads IS NULL OR threads >= 1)`);
    },
  },
  {
    version: 6,
    description: 'the GPU adapter a run trained on (WebGPU vendor/architecture)',
    up(db) {
      // its own column, not only inside backend's JSON, so runs can be listed and grouped by it
      db.exec(`ALTER TABLE runs ADD COLUMN gpu_adapter TEXT CHECK (gpu_adapter IS NULL OR json_valid(gpu_adapter));`);
    },
  },
  {
    version: 7,
    description: 'large-batch diagnostics: gradient noise scale and sharpness (step and layer), distance from initialization and update cosine (layer)',
    up(db) {
      // nullable: rows written before, and steps off a diagnostic's cadence, have none
      db.exec(`
        ALTER TABLE step_metrics ADD COLUMN noise_scale REAL;
        ALTER TABLE step_metrics ADD COLUMN sharpness REAL;
        ALTER TABLE layer_metrics ADD COLUMN noise_scale REAL;
        ALTER TABLE layer_metrics ADD COLUMN sharpness REAL;
        ALTER TABLE layer_metrics ADD COLUMN distance_from_init REAL;
        ALTER TABLE layer_metrics ADD COLUMN update_cosine REAL;
      `);
    },
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
