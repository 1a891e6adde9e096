/**
 * Opens (creating if needed) a Batchscope database file and brings its schema up to date.
 *
 * Connection settings, and why:
 * - journal_mode=WAL: readers (the UI's charts) never block the writer (a run's metrics), and a
 *   killed process leaves committed transactions intact.
 * - synchronous=NORMAL: with WAL, commits are not fsynced one by one; a crash of the process
 *   loses nothing committed, a power loss may lose the last commits but never corrupts the file.
 * - foreign_keys=ON: deleting an experiment or run cascades to its metrics.
 * - busy_timeout: a second connection (another window, the CLI) waits for the write lock
 *   instead of failing at once.
 */
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { checkSchemaVersion, migrate } from './migrate';
import type { Migration } from './migrations';
import { createExperimentStore, type ExperimentStore } from './experiments';
import { createMetricQueries, type MetricQueries } from './metric-queries';
import { MetricWriter, type MetricWriterOptions } from './metric-writer';
import { createRunStore, type RunStore } from './runs';
import { createStoreContext } from './store-context';
import { StoreError, toStoreError } from './store-error';

export interface OpenStoreOptions {
  /** open without writing anything; the file must exist and be at this build's schema version */
  readonly?: boolean;
  /** how long to wait for another connection's write lock; default 5000 ms */
  busyTimeoutMs?: number;
  /** for tests of upgrades: the migrations this build knows; default MIGRATIONS */
  migrations?: readonly Migration[];
}

export interface Store {
  /** the database file, absolute */
  readonly path: string;
  readonly schemaVersion: number;
  readonly readonly: boolean;
  readonly experiments: ExperimentStore;
  readonly runs: RunStore;
  readonly metrics: MetricQueries;
  /** a buffered writer for metric records; closed (and flushed) with the store */
  openMetricWriter(options?: MetricWriterOptions): MetricWriter;
  /** `PRAGMA integrity_check`: 'ok', or what is damaged */
  checkIntegrity(): string;
  /** the underlying connection, for tests, benchmarks and maintenance; not for application code */
  readonly db: Database.Database;
  /**
   * Flushes and closes the open metric writers, then the connection. If a flush fails the store
   * stays open and the StoreError is thrown, so the caller can retry (after freeing disk space,
   * say); with `discardUnsaved` it closes anyway and then throws that error, which says how many
   * rows were not saved.
   */
  close(options?: { discardUnsaved?: boolean }): void;
}

/**
 * Refuses up front what SQLite would only report at the first write, with a clearer message.
 * The folder must be writable too: WAL keeps its -wal and -shm files beside the database.
 */
function checkWritable(path: string): void {
  for (const [target, what] of [[dirname(path), 'its folder'], ...(existsSync(path) ? [[path, 'the file']] : [])] as const) {
    try {
      accessSync(target, constants.W_OK);
    } catch (error) {
      throw new StoreError(
        'read-only',
        path,
        `${path} cannot be written: ${what} is read-only for this user (${(error as Error).message}). Fix the permissions, choose another location, or browse it read-only (batchscope list/show/export/report/serve --read-only).`,
        undefined,
        { cause: error },
      );
    }
  }
}

/**
 * SQLite reads a WAL database only beside its -shm index, which it creates when missing; in a
 * folder this user cannot write that fails ("attempt to write a readonly database"). There a
 * read-only open reads a private copy (the file and its -wal) taken now, removed on close.
 */
function readableCopy(path: string): { file: string; remove(): void } | null {
  if (existsSync(`${path}-shm`)) return null;
  try {
    accessSync(dirname(path), constants.W_OK);
    return null;
  } catch {
    // not writable: copy below
  }
  const dir = mkdtempSync(join(tmpdir(), 'batchscope-read-only-'));
  const file = join(dir, basename(path));
  copyFileSync(path, file);
  if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${file}-wal`);
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function openStore(file: string, options: OpenStoreOptions = {}): Store {
  const path = resolve(file);
  const readonly = options.readonly ?? false;
  let db: Database.Database;
  let copy: { file: string; remove(): void } | null = null;
  try {
    if (!readonly) {
      mkdirSync(dirname(path), { recursive: true });
      checkWritable(path);
    }
    // under Electron the native module must match Electron's ABI: bin/start.mjs builds one
    // beside the Node build and passes its path here
    const nativeBinding = process.env.BATCHSCOPE_SQLITE_BINDING;
    copy = readonly && existsSync(path) ? readableCopy(path) : null;
    db = new Database(copy?.file ?? path, { readonly, fileMustExist: readonly, ...(nativeBinding ? { nativeBinding } : {}) });
  } catch (error) {
    throw error instanceof StoreError ? error : toStoreError(error, path, 'opening the database');
  }

  let schemaVersion: number;
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    db.pragma('foreign_keys = ON');
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    schemaVersion = readonly ? checkSchemaVersion(db, path, options.migrations) : migrate(db, path, options.migrations);
  } catch (error) {
    db.close();
    copy?.remove();
    throw error instanceof StoreError ? error : toStoreError(error, path, 'opening the database');
  }

  const ctx = createStoreContext(db, path);
  const writers = new Set<MetricWriter>();
  return {
    path,
    schemaVersion,
    readonly,
    db,
    experiments: createExperimentStore(ctx),
    runs: createRunStore(ctx),
    metrics: createMetricQueries(ctx),
    openMetricWriter(writerOptions) {
      if (!db.open) throw new StoreError('closed', path, `the store for ${path} was closed`);
      const writer = new MetricWriter(ctx, writerOptions, (closed) => writers.delete(closed));
      writers.add(writer);
      return writer;
    },
    checkIntegrity: () => ctx.guard('checking integrity', () => (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ')),
    close(closeOptions = {}) {
      if (!db.open) return;
      let failure: unknown;
      for (const writer of [...writers]) {
        try {
          writer.close();
        } catch (error) {
          if (!closeOptions.discardUnsaved) throw error;
          writer.discard();
          failure ??= error;
        }
      }
      db.close();
      copy?.remove();
      if (failure) throw failure;
    },
  };
}
