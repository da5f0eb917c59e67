/**
 * Sums the Prometheus text of several workers into the gateway's: counters,
 * histogram buckets, sums and counts add up; so do the gauges the gateway
 * exports (running and queued queries, open connections, pool sizes,
 * resident memory), each a per-process quantity whose total is the
 * gateway's. Series keep the order they first appear in.
 */

/** The series key of a sample line (`name{labels}`) and its value. */
function sample(line: string): [string, number] | undefined {
  const space = line.lastIndexOf(' ');
  if (space <= 0) return undefined;
  const text = line.slice(space + 1);
  const value = text === '+Inf' ? Number.POSITIVE_INFINITY : Number(text);
  return Number.isNaN(value) ? undefined : [line.slice(0, space), value];
}

function format(n: number): string {
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(15)));
}

interface Family {
  readonly comments: string[];
  /** Series key → total, in the order first seen. */
  readonly totals: Map<string, number>;
}

/**
 * One exposition whose samples are the sums of `texts`' samples. A family's
 * lines stay together under its `# HELP`/`# TYPE` (as the format requires),
 * even when only a later worker has some of its series.
 */
export function mergeMetrics(texts: readonly string[]): string {
  const families = new Map<string, Family>();
  const familyOf = (name: string): Family => {
    let family = families.get(name);
    if (!family) {
      family = { comments: [], totals: new Map() };
      families.set(name, family);
    }
    return family;
  };
  for (const text of texts) {
    let current = familyOf('');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      if (line.startsWith('#')) {
        // `# HELP name …` / `# TYPE name …` open the family `name`.
        current = familyOf(line.split(' ')[2] ?? '');
        if (!current.comments.includes(line)) current.comments.push(line);
        continue;
      }
      const parsed = sample(line);
      if (!parsed) continue;
      const [key, value] = parsed;
      current.totals.set(key, (current.totals.get(key) ?? 0) + value);
    }
  }
  const lines: string[] = [];
  for (const { comments, totals } of families.values()) {
    lines.push(...comments);
    for (const [key, total] of totals) lines.push(`${key} ${format(total)}`);
  }
  return `${lines.join('\n')}\n`;
}
