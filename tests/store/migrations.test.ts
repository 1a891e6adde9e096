import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../main/store/migrations';
import { openStore } from '../../main/store/open-store';
import { StoreError } from '../../main/store/store-error';
import { createRun, sampleStep } from './fixtures/sample-metrics';
import { STEP_COLUMNS, STEP_FIELDS } from '../../main/store/metric-columns';
import { tempDir, tempStore, trackedStore } from './fixtures/temp-store';

/** One value from a file, through a connection of its own that is closed again. */
function peek(path: string, sql: string): unknown {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).pluck().get();
  } finally {
    db.close();
  }
}

function catchError(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('schema and migrations', () => {
  it('creates a new file at the latest version with WAL, foreign keys, NORMAL sync and a busy timeout', () => {
    const store = tempStore();
    expect(store.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    const versions = store.db.prepare('SELECT version FROM schema_version ORDER BY version').pluck().all();
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('keys metric tables by run first, without rowids', () => {
    const store = tempStore();
    const sql = (name: string) => store.db.prepare(`SELECT sql FROM sqlite_master WHERE name = ?`).pluck().get(name) as string;
    for (const table of ['step_metrics', 'layer_metrics', 'evaluations']) expect(sql(table)).toMatch(/WITHOUT ROWID/);
    expect(sql('layer_metrics')).toMatch(/PRIMARY KEY \(run_id, layer, step\)/);
    expect(sql('step_metrics')).toMatch(/PRIMARY KEY \(run_id, step\)/);
  });

  it('upgrades a file left at an older version, keeping its data', () => {
    const path = join(tempDir(), 'old.db');
    const old = openStore(path, { migrations: MIGRATIONS.slice(0, 1) });
    expect(old.schemaVersion).toBe(1);
    const { runId } = createRun(old);
    // rows as version 1 wrote them: today's metric writer needs the columns of later migrations
    const step = sampleStep(0);
    // the step columns version 1 had (migration 7 added the noise scale and sharpness)
    const v1Fields = STEP_FIELDS.filter((f) => f !== 'noiseScale' && f !== 'sharpness');
    old.db
      .prepare(`INSERT INTO step_metrics (run_id, step, ${v1Fields.map((f) => STEP_COLUMNS[f]).join(', ')}) VALUES (${['?', '?', ...v1Fields.map(() => '?')].join(', ')})`)
      .run(runId, step.step, ...v1Fields.map((f) => step[f]));
    const insertLayer = old.db.prepare('INSERT INTO layer_metrics (run_id, layer, step, grad_norm, curvature) VALUES (?, ?, 0, 1, 2)');
    for (let layer = 0; layer < 3; layer++) insertLayer.run(runId, layer);
    old.close();
    expect(peek(path, `SELECT count(*) FROM sqlite_master WHERE name = 'runs_by_status'`)).toBe(0);

    const store = trackedStore(path);
    expect(store.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(store.db.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'runs_by_status'`).pluck().get()).toBe(1);
    expect(store.runs.get(runId)?.status).toBe('queued');
    // columns added later read back as "not measured"
    expect(store.metrics.stepMetrics(runId)).toEqual([{ ...sampleStep(0), noiseScale: null, sharpness: null }]);
    expect(store.metrics.layerMetrics(runId)).toHaveLength(3);
    expect(store.metrics.layerMetrics(runId)[0]).toMatchObject({ curvature: 2, curvatureError: null, noiseScale: null, sharpness: null, distanceFromInit: null, updateCosine: null });
  });

  it('refuses a file written by a newer version, naming the file and both versions, and leaves it unchanged', () => {
    const path = join(tempDir(), 'newer.db');
    openStore(path).close();
    const raw = new Database(path);
    raw.prepare('INSERT INTO schema_version (version, description, applied_at_ms) VALUES (99, ?, 0)').run('from the future');
    raw.close();

    const error = catchError(() => openStore(path));
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('newer-schema');
    expect((error as StoreError).message).toContain(path);
    expect((error as StoreError).message).toContain('99');
    expect((error as StoreError).message).toContain(String(LATEST_SCHEMA_VERSION));
    expect(peek(path, 'SELECT max(version) FROM schema_version')).toBe(99);
  });

  it('refuses a SQLite file that is not a Batchscope database', () => {
    const path = join(tempDir(), 'other.db');
    const raw = new Database(path);
    raw.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY)');
    raw.close();
    const error = catchError(() => openStore(path)) as StoreError;
    expect(error.code).toBe('not-batchscope');
    expect(error.message).toContain('invoices');
  });

  it('says a file that is not SQLite at all is not a Batchscope database or is damaged', () => {
    const path = join(tempDir(), 'notes.db');
    writeFileSync(path, 'these are my notes, not a database\n'.repeat(200));
    const error = catchError(() => openStore(path)) as StoreError;
    expect(error).toBeInstanceOf(StoreError);
    expect(error.code).toBe('corrupt');
    expect(error.message).toContain(path);
  });

  it('applies each migration once when two connections open a new file', () => {
    const path = join(tempDir(), 'shared.db');
    const first = trackedStore(path);
    const second = trackedStore(path);
    expect(first.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(second.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(second.db.prepare('SELECT count(*) FROM schema_version').pluck().get()).toBe(MIGRATIONS.length);
  });
});
