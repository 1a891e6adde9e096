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
  private readonly many: Database.Statement;
  private readonly one: Database.Statement;
  /** the values of the rows being gathered; write a row's values at `offset`, then call commitRow */
  readonly args: SqlValue[];
  private readonly oneArgs: SqlValue[];
  private pending = 0;

  /** `OR REPLACE`: a record re-sent for the same key overwrites the old one instead of failing the whole batch. */
  constructor(ctx: StoreContext, table: string, columns: readonly string[]) {
    const row = `(${columns.map(() => '?').join(', ')})`;
    const head = `INSERT OR REPLACE INTO ${table} (${columns.join(', ')}) VALUES `;
    this.many = ctx.statement(head + Array<string>(ROWS_PER_STATEMENT).fill(row).join(', '));
    this.one = ctx.statement(head + row);
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
      this.many.run(this.args);
      this.pending = 0;
    }
  }

  /** Writes the rows still pending; call before the transaction commits. */
  finish(): void {
    const width = this.width;
    for (let r = 0; r < this.pending; r++) {
      for (let c = 0; c < width; c++) this.oneArgs[c] = this.args[r * width + c]!;
      this.one.run(this.oneArgs);
    }
    this.pending = 0;
  }

  /** Forgets pending rows, after a failed transaction. */
  reset(): void {
    this.pending = 0;
  }
}
