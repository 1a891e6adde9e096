/** Brings a database file up to the schema this build knows, or refuses a newer one. */
import type Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations';
import { StoreError } from './store-error';

const VERSION_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_version (
    version       INTEGER PRIMARY KEY,
    description   TEXT    NOT NULL,
    applied_at_ms INTEGER NOT NULL
  )`;

/** The highest migration applied to the file; 0 for a new, empty file. */
export function readSchemaVersion(db: Database.Database): number {
  const table = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`).get();
  if (!table) return 0;
  const row = db.prepare('SELECT max(version) AS version FROM schema_version').get() as { version: number | null };
  return row.version ?? 0;
}

function refuseForeignFiles(db: Database.Database, file: string): void {
  const tables = db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_version'`)
    .pluck()
    .all() as string[];
  if (tables.length > 0 && readSchemaVersion(db) === 0) {
    throw new StoreError(
      'not-batchscope',
      file,
      `${file} is a SQLite database but not a Batchscope one (it has tables ${tables.slice(0, 5).join(', ')} and no schema_version). Choose another file.`,
    );
  }
}

function refuseNewer(version: number, latest: number, file: string): void {
  if (version > latest) {
    throw new StoreError(
      'newer-schema',
      file,
      `${file} was written by a newer Batchscope (schema version ${version}; this build knows up to ${latest}). Open it with that newer version, or choose another file; it was left unchanged.`,
    );
  }
}

/**
 * Applies the missing migrations in order, each in its own IMMEDIATE transaction that
 * re-reads the version first, so two processes opening a new file at once apply each step once.
 * Returns the version the file is at afterwards.
 */
export function migrate(db: Database.Database, file: string, migrations: readonly Migration[] = MIGRATIONS): number {
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  refuseForeignFiles(db, file);
  refuseNewer(readSchemaVersion(db), latest, file);
  for (const migration of migrations) {
    // an up-to-date file is opened without taking the write lock
    if (readSchemaVersion(db) >= migration.version) continue;
    db.transaction(() => {
      db.exec(VERSION_TABLE);
      const current = readSchemaVersion(db);
      refuseNewer(current, latest, file);
      if (current >= migration.version) return;
      migration.up(db);
      db.prepare('INSERT INTO schema_version (version, description, applied_at_ms) VALUES (?, ?, ?)').run(
        migration.version,
        migration.description,
        Date.now(),
      );
    }).immediate();
  }
  return readSchemaVersion(db);
}

/** For a read-only connection: the file must already be at this build's version. */
export function checkSchemaVersion(db: Database.Database, file: string, migrations: readonly Migration[] = MIGRATIONS): number {
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  refuseForeignFiles(db, file);
  const version = readSchemaVersion(db);
  refuseNewer(version, latest, file);
  if (version < latest) {
    throw new StoreError(
      'read-only',
      file,
      `${file} has schema version ${version} and needs upgrading to ${latest}, which a read-only connection cannot do. Open it once without read-only to upgrade it.`,
    );
  }
  return version;
}
