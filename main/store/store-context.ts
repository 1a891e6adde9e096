/** What the parts of a store share: one connection, its file name, and its prepared statements. */
import type Database from 'better-sqlite3';
import { guard } from './store-error';

export interface StoreContext {
  readonly db: Database.Database;
  /** the database file, as given to openStore; every StoreError names it */
  readonly file: string;
  /** the prepared statement for `sql`, prepared once per connection */
  statement(sql: string): Database.Statement;
  /** runs `work`, turning SQLite failures into StoreErrors that say what we were doing */
  guard<T>(action: string, work: () => T): T;
}

export function createStoreContext(db: Database.Database, file: string): StoreContext {
  const statements = new Map<string, Database.Statement>();
  return {
    db,
    file,
    statement(sql) {
      let statement = statements.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
    guard: (action, work) => guard(file, action, work),
  };
}
