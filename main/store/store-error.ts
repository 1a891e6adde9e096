/**
 * The one error type the store throws. It names the database file and says what to do,
 * because the person reading it is usually looking at a dialog, not at a stack trace.
 */

export type StoreErrorCode =
  /** the disk (or the configured size limit) is full */
  | 'disk-full'
  /** the file, its folder, or the connection is read-only */
  | 'read-only'
  /** another connection held the write lock for longer than busy_timeout */
  | 'busy'
  /** not a SQLite file, or a damaged one */
  | 'corrupt'
  /** the file could not be opened or created (missing folder, permissions) */
  | 'cannot-open'
  /** a read or write failed at the operating-system level */
  | 'io'
  /** the file was written by a newer Batchscope (schema version above what this build knows) */
  | 'newer-schema'
  /** a SQLite database that was not made by Batchscope */
  | 'not-batchscope'
  | 'not-found'
  /** a run status change that the lifecycle does not allow, e.g. completed → running */
  | 'invalid-transition'
  /** the operation needs a run that is not running (e.g. deleting it) */
  | 'run-active'
  /** metric rows referred to a run that no longer exists; they were dropped */
  | 'run-missing'
  /** the store or the writer was closed */
  | 'closed'
  | 'sqlite';

export class StoreError extends Error {
  override readonly name = 'StoreError';

  constructor(
    readonly code: StoreErrorCode,
    /** the database file, as given to openStore */
    readonly file: string,
    message: string,
    /** the SQLite extended result code, when SQLite raised it */
    readonly sqliteCode?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What the user can do about each SQLite failure; `action` says what we were doing. */
function describe(code: StoreErrorCode, file: string, action: string, detail: string): string {
  switch (code) {
    case 'disk-full':
      return `${action} failed: the disk holding ${file} is full (${detail}). Free some space and try again; nothing already saved was lost.`;
    case 'read-only':
      return `${action} failed: ${file} is read-only (${detail}). Check the permissions of the file and its folder, or choose a writable location.`;
    case 'busy':
      return `${action} failed: ${file} stayed locked by another process (${detail}). Close other Batchscope windows or CLI runs using this file, then try again.`;
    case 'corrupt':
      return `${action} failed: ${file} is not a Batchscope database or is damaged (${detail}). Restore it from a backup or choose another file.`;
    case 'cannot-open':
      return `${action} failed: ${file} could not be opened (${detail}). Check that its folder exists and is writable.`;
    case 'io':
      return `${action} failed: reading or writing ${file} failed (${detail}). Check the disk and try again.`;
    default:
      return `${action} failed on ${file}: ${detail}`;
  }
}

function codeFor(sqliteCode: string): StoreErrorCode {
  if (sqliteCode.startsWith('SQLITE_FULL')) return 'disk-full';
  if (sqliteCode.startsWith('SQLITE_READONLY')) return 'read-only';
  if (sqliteCode.startsWith('SQLITE_BUSY') || sqliteCode.startsWith('SQLITE_LOCKED')) return 'busy';
  if (sqliteCode.startsWith('SQLITE_CORRUPT') || sqliteCode.startsWith('SQLITE_NOTADB')) return 'corrupt';
  if (sqliteCode.startsWith('SQLITE_CANTOPEN')) return 'cannot-open';
  if (sqliteCode === 'SQLITE_IOERR_NOSPC') return 'disk-full';
  if (sqliteCode.startsWith('SQLITE_IOERR')) return 'io';
  return 'sqlite';
}

/** Turns whatever better-sqlite3 threw into a StoreError; StoreErrors pass through. */
export function toStoreError(error: unknown, file: string, action: string): StoreError {
  if (error instanceof StoreError) return error;
  const sqliteCode = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined;
  const detail = error instanceof Error ? error.message : String(error);
  if (sqliteCode?.startsWith('SQLITE_')) {
    const code = codeFor(sqliteCode);
    return new StoreError(code, file, describe(code, file, action, detail), sqliteCode, { cause: error });
  }
  if (error instanceof TypeError && /connection is not open/.test(detail)) {
    return new StoreError('closed', file, `${action} failed: the store for ${file} was closed`, undefined, { cause: error });
  }
  return new StoreError('sqlite', file, describe('sqlite', file, action, detail), sqliteCode, { cause: error });
}

/** True for what SQLite (or a closed better-sqlite3 connection) throws, as opposed to our own errors. */
export function isDatabaseError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return true;
  return error instanceof TypeError && /connection is not open/.test(error.message);
}

/**
 * Runs `work`, translating database failures into StoreErrors; other errors (a SpecError from
 * validation, a bug) pass through unchanged. `action` reads like "saving metrics".
 */
export function guard<T>(file: string, action: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw isDatabaseError(error) ? toStoreError(error, file, action) : error;
  }
}
