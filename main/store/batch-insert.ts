/**
 * Inserts rows through multi-row `INSERT … VALUES (…), (…), …` statements: one native call per
 * ROWS_PER_STATEMENT rows instead of one per row, which is most of what makes ingest fast
 * (see the Store section of docs/benchmarks.md). The tail of a batch goes through the
 * single-row statement.
 */
import type Database from 'better-sqlite3';
import type { StoreContext } from './store-context';

const ROWS_PER_STATEMENT = 32;

export type SqlValue = number | string | null;

export class BatchInsert {
  /** prepared at first use: a writer opened on a file at an older schema (tests of upgrades) only prepares what it writes */
  private many: Database.Statement | null = null;
  private one: Database.Statement | null = null;
  private readonly sql: { many: string; one: string };
  /** the values of the rows being gathered; write a row's values at `offset`, then call commitRow */
  readonly args: SqlValue[];
  private readonly oneArgs: SqlValue[];
  private pending = 0;

  /**
   * `OR REPLACE` (the default): a record re-sent for the same key overwrites the old one instead of
   * failing the whole batch. `OR IGNORE` keeps the first, for rows whose key does not cover them
   * whole (run events are keyed by their sequence number).
   */
  constructor(private readonly ctx: StoreContext, table: string, columns: readonly string[], onConflict: 'REPLACE' | 'IGNORE' = 'REPLACE') {
    const row = `(${columns.map(() => '?').join(', ')})`;
    const head = `INSERT OR ${onConflict} INTO ${table} (${columns.join(', ')}) VALUES `;
    this.sql = { many: head + Array<string>(ROWS_PER_STATEMENT).fill(row).join(', '), one: head + row };
    this.args = new Array<SqlValue>(columns.length * ROWS_PER_STATEMENT).fill(null);
    this.oneArgs = new Array<SqlValue>(columns.length).fill(null);
  }

  get width(): number {
    return this.oneArgs.length;
  }

  /** where the next row's `width` values go in `args` */
  get offset(): number {
    return this.pending * this.oneArgs.length;
  }

  commitRow(): void {
    this.pending++;
    if (this.pending === ROWS_PER_STATEMENT) {
      (this.many ??= this.ctx.statement(this.sql.many)).run(this.args);
      this.pending = 0;
    }
  }

  /** Writes the rows still pending; call before the transaction commits. */
  finish(): void {
    const width = this.width;
    for (let r = 0; r < this.pending; r++) {
      for (let c = 0; c < width; c++) this.oneArgs[c] = this.args[r * width + c]!;
      (this.one ??= this.ctx.statement(this.sql.one)).run(this.oneArgs);
    }
    this.pending = 0;
  }

  /** Forgets pending rows, after a failed transaction. */
  reset(): void {
    this.pending = 0;
  }
}
