// The part of sql.js (SQLite compiled to WebAssembly) the example uses; the package ships no types.
declare module 'sql.js' {
  export type SqlValue = number | string | Uint8Array | null;
  export interface Statement {
    bind(values: readonly unknown[]): boolean;
    step(): boolean;
    /** `useBigInt`: integers as bigint (exact beyond 2^53). */
    get(params?: null, config?: { useBigInt?: boolean }): (SqlValue | bigint)[];
    free(): boolean;
  }
  export interface Database {
    run(sql: string, params?: readonly unknown[]): Database;
    exec(sql: string): { columns: string[]; values: SqlValue[][] }[];
    prepare(sql: string): Statement;
    export(): Uint8Array;
    close(): void;
  }
  export interface SqlJsStatic {
    Database: new (data?: ArrayLike<number> | Buffer | null) => Database;
  }
  export default function initSqlJs(): Promise<SqlJsStatic>;
}
