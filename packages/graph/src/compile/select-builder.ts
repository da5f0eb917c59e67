/**
 * The SELECT being written for one part of a query (the clauses between two
 * WITHs), and the state shared by the whole compilation.
 */
import type { GraphDefinition } from '../graph-definition.js';
import type { Parameters } from './parameters.js';
import type { Scope } from './scope.js';

/** State shared by every part of one compilation. */
export class CompileState {
  /** Common table expressions, in dependency order. */
  readonly ctes: { name: string; sql: string; recursive: boolean }[] = [];
  /** Path variables whose vertices the query asks for (`nodes(p)`). */
  readonly pathNodes = new Set<string>();
  #next = 0;

  constructor(
    readonly graph: GraphDefinition,
    readonly params: Parameters,
    /** Properties referenced per variable name anywhere in the query. */
    readonly props: ReadonlyMap<string, ReadonlySet<string>>,
    readonly maxHops: number,
    /** See `CompileCypherOptions.variableLength`. */
    readonly variableLength: 'auto' | 'recursive' = 'auto',
  ) {}

  /** A fresh alias such as `_n3`: generated names cannot clash with user names, which are always quoted. */
  alias(prefix: string): string {
    this.#next += 1;
    return `_${prefix}${this.#next}`;
  }

  cte(prefix: string, sql: string, recursive = false): string {
    const name = this.alias(prefix);
    this.ctes.push({ name, sql, recursive });
    return name;
  }
}

/** FROM, WHERE and scope of one SELECT under construction. */
export class SelectBuilder {
  #from = '';
  readonly where: string[] = [];

  constructor(readonly scope: Scope) {}

  get empty(): boolean {
    return this.#from === '';
  }

  get from(): string {
    return this.#from;
  }

  /** Adds `item` joined on `on` (inner join; conditions ANDed; none → CROSS JOIN). */
  join(item: string, on: readonly string[] = []): void {
    if (this.#from === '') {
      this.#from = item;
      this.where.push(...on);
    } else if (on.length === 0) this.#from += `\n  CROSS JOIN ${item}`;
    else this.#from += `\n  JOIN ${item} ON ${on.join(' AND ')}`;
  }

  /** Adds `item` as the right side of a LEFT JOIN. */
  leftJoin(item: string, on: readonly string[]): void {
    if (this.#from === '') this.#from = '(SELECT 1 AS "_one") AS "_unit"';
    this.#from += `\n  LEFT JOIN ${item} ON ${on.length > 0 ? on.join(' AND ') : 'TRUE'}`;
  }

  /** `FROM … WHERE …` (or nothing for a query without MATCH). */
  tail(): string {
    const parts: string[] = [];
    if (this.#from !== '') parts.push(`FROM ${this.#from}`);
    if (this.where.length > 0) parts.push(`WHERE ${this.where.join('\n  AND ')}`);
    return parts.join('\n');
  }
}
