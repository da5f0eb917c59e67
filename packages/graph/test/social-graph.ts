/**
 * A small generated social graph (persons, companies, KNOWS, WORKS_AT) and
 * ~40 Cypher queries, each with a reference answer written independently of
 * the compiler as DuckDB SQL over the plain tables `person`, `company`,
 * `knows`, `works_at`. Shared by this package's tests (tables in DuckDB
 * sources) and the integration test (PostgreSQL, Lance, Parquet).
 */

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const CITIES = ['Oslo', 'Lima', 'Pune', 'Kyiv'];
export const INDUSTRIES = ['tech', 'retail', 'energy'];

/** The rows of the four tables. */
export interface SocialData {
  readonly person: { id: number; name: string; age: number; city: string }[];
  readonly company: { id: number; name: string; industry: string }[];
  readonly knows: { src: number; dst: number; since: number }[];
  readonly worksAt: { person_id: number; company_id: number; since: number }[];
}

/** Generates the graph: 80 persons, 10 companies, ~200 KNOWS edges (no self-loops, no duplicates). */
export function socialData(persons = 80, companies = 10, seed = 42): SocialData {
  const rnd = random(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const person = Array.from({ length: persons }, (_, i) => ({
    id: i + 1,
    name: `P${i + 1}`,
    age: 18 + int(50),
    city: CITIES[int(CITIES.length)]!,
  }));
  const company = Array.from({ length: companies }, (_, i) => ({
    id: i + 1,
    name: `C${i + 1}`,
    industry: INDUSTRIES[i % INDUSTRIES.length]!,
  }));
  const seen = new Set<string>();
  const knows: SocialData['knows'] = [];
  for (const p of person) {
    const out = int(5);
    for (let k = 0; k < out; k++) {
      const dst = 1 + int(persons);
      if (dst === p.id || seen.has(`${p.id}>${dst}`)) continue;
      seen.add(`${p.id}>${dst}`);
      knows.push({ src: p.id, dst, since: 2000 + int(25) });
    }
  }
  const worksAt = person
    .filter((p) => p.id % 7 !== 0)
    .map((p) => ({ person_id: p.id, company_id: 1 + int(companies), since: 2005 + int(20) }));
  return { person, company, knows, worksAt };
}

/** `CREATE TABLE … AS VALUES …` statements (valid in DuckDB and PostgreSQL) for each table. */
export function createTableSql(
  data: SocialData,
  prefix = '',
): Record<'person' | 'company' | 'knows' | 'works_at', string> {
  const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
  return {
    person: `CREATE TABLE ${prefix}person (id BIGINT, name TEXT, age INTEGER, city TEXT); INSERT INTO ${prefix}person VALUES ${data.person.map((p) => `(${p.id}, ${q(p.name)}, ${p.age}, ${q(p.city)})`).join(', ')}`,
    company: `CREATE TABLE ${prefix}company (id BIGINT, name TEXT, industry TEXT); INSERT INTO ${prefix}company VALUES ${data.company.map((c) => `(${c.id}, ${q(c.name)}, ${q(c.industry)})`).join(', ')}`,
    knows: `CREATE TABLE ${prefix}knows (src BIGINT, dst BIGINT, since INTEGER); INSERT INTO ${prefix}knows VALUES ${data.knows.map((k) => `(${k.src}, ${k.dst}, ${k.since})`).join(', ')}`,
    works_at: `CREATE TABLE ${prefix}works_at (person_id BIGINT, company_id BIGINT, since INTEGER); INSERT INTO ${prefix}works_at VALUES ${data.worksAt.map((w) => `(${w.person_id}, ${w.company_id}, ${w.since})`).join(', ')}`,
  };
}

/** The graph over tables named by `tables` (config spelling, e.g. `pg.person`). */
export function socialGraph(tables: Record<'person' | 'company' | 'knows' | 'works_at', string>) {
  return {
    vertices: {
      Person: { table: tables.person, key: 'id' },
      Company: { table: tables.company, key: 'id' },
    },
    edges: {
      KNOWS: { table: tables.knows, source: 'src', target: 'dst', from: 'Person', to: 'Person' },
      WORKS_AT: {
        table: tables.works_at,
        source: 'person_id',
        target: 'company_id',
        from: 'Person',
        to: 'Company',
      },
    },
  };
}

/**
 * Reference paths over KNOWS for the reference SQL: every trail (no edge
 * twice) of 1..max hops from the persons `startWhere` selects, following
 * edges `out`, `in` or `both` ways. Edges are kept as structs in a list —
 * deliberately not the compiler's encoding.
 */
function refTrails(startWhere: string, direction: 'out' | 'in' | 'both', max: number): string {
  const step =
    direction === 'out'
      ? 'SELECT src AS a, dst AS b, src AS s, dst AS d FROM knows'
      : direction === 'in'
        ? 'SELECT dst AS a, src AS b, src AS s, dst AS d FROM knows'
        : 'SELECT src AS a, dst AS b, src AS s, dst AS d FROM knows UNION ALL SELECT dst, src, src, dst FROM knows';
  return `WITH RECURSIVE st AS (${step}),
    trails(start, node, depth, used) AS (
      SELECT st.a, st.b, 1, [{'s': st.s, 'd': st.d}] FROM st WHERE st.a IN (SELECT id FROM person WHERE ${startWhere})
      UNION ALL
      SELECT t.start, st.b, t.depth + 1, list_append(t.used, {'s': st.s, 'd': st.d})
      FROM trails t JOIN st ON st.a = t.node
      WHERE t.depth < ${max} AND NOT list_contains(t.used, {'s': st.s, 'd': st.d}))`;
}

/** Paths of 1..max hops that never come back to a vertex (ACYCLIC), as a list of visited vertices. */
function refAcyclic(startWhere: string, direction: 'out' | 'both', max: number): string {
  const step =
    direction === 'out'
      ? 'SELECT src AS a, dst AS b FROM knows'
      : 'SELECT src AS a, dst AS b FROM knows UNION ALL SELECT dst, src FROM knows';
  return `WITH RECURSIVE st AS (${step}),
    paths(start, node, depth, seen) AS (
      SELECT st.a, st.b, 1, [st.a, st.b] FROM st WHERE st.a IN (SELECT id FROM person WHERE ${startWhere})
      UNION ALL
      SELECT p.start, st.b, p.depth + 1, list_append(p.seen, st.b)
      FROM paths p JOIN st ON st.a = p.node
      WHERE p.depth < ${max} AND NOT list_contains(p.seen, st.b))`;
}

/** Shortest distances by breadth-first walks (walks of minimal length are simple paths). */
function refWalks(startWhere: string, direction: 'out' | 'both', max: number): string {
  const step =
    direction === 'out'
      ? 'SELECT src AS a, dst AS b FROM knows'
      : 'SELECT src AS a, dst AS b FROM knows UNION ALL SELECT dst, src FROM knows';
  return `WITH RECURSIVE st AS (${step}),
    walks(start, node, depth) AS (
      SELECT st.a, st.b, 1 FROM st WHERE st.a IN (SELECT id FROM person WHERE ${startWhere})
      UNION ALL
      SELECT w.start, st.b, w.depth + 1 FROM walks w JOIN st ON st.a = w.node WHERE w.depth < ${max}),
    dist AS (SELECT start, node, min(depth) AS d FROM walks WHERE node <> start GROUP BY start, node)`;
}

/** One query of the corpus. */
export interface CorpusQuery {
  readonly name: string;
  readonly cypher: string;
  readonly params?: Record<string, unknown>;
  /** The same question in DuckDB SQL over the plain tables. */
  readonly reference: string;
  /** True when ORDER BY fixes the row order completely. */
  readonly ordered?: boolean;
}

/** The corpus. */
export const CORPUS: readonly CorpusQuery[] = [
  {
    name: 'count vertices',
    cypher: 'MATCH (p:Person) RETURN count(*) AS n',
    reference: 'SELECT count(*) FROM person',
  },
  {
    name: 'WHERE and ORDER BY',
    cypher: 'MATCH (p:Person) WHERE p.age > 40 RETURN p.name ORDER BY p.name',
    reference: 'SELECT name FROM person WHERE age > 40 ORDER BY name',
    ordered: true,
  },
  {
    name: 'property map',
    cypher: "MATCH (p:Person {city: 'Oslo'}) RETURN p.id ORDER BY p.id",
    reference: "SELECT id FROM person WHERE city = 'Oslo' ORDER BY id",
    ordered: true,
  },
  {
    name: 'outgoing edges',
    cypher: 'MATCH (a:Person)-[:KNOWS]->(b:Person) RETURN a.id, b.id',
    reference: 'SELECT src, dst FROM knows',
  },
  {
    name: 'incoming edges',
    cypher: 'MATCH (a:Person)<-[:KNOWS]-(b:Person) WHERE a.id = 5 RETURN b.id',
    reference: 'SELECT src FROM knows WHERE dst = 5',
  },
  {
    name: 'either direction',
    cypher: 'MATCH (a:Person {id: 3})-[:KNOWS]-(b) RETURN b.id',
    reference: 'SELECT dst FROM knows WHERE src = 3 UNION ALL SELECT src FROM knows WHERE dst = 3',
  },
  {
    name: 'relationship properties',
    cypher: 'MATCH (a:Person)-[r:KNOWS]->(b) WHERE r.since >= 2020 RETURN a.name, b.name, r.since',
    reference:
      'SELECT a.name, b.name, k.since FROM knows k JOIN person a ON a.id = k.src JOIN person b ON b.id = k.dst WHERE k.since >= 2020',
  },
  {
    name: 'two hops',
    cypher: 'MATCH (a)-[:KNOWS]->(b)-[:KNOWS]->(c) RETURN count(*)',
    reference: 'SELECT count(*) FROM knows k1 JOIN knows k2 ON k2.src = k1.dst',
  },
  {
    name: 'two hops either way, no edge twice',
    cypher: 'MATCH (a)-[:KNOWS]-(b)-[:KNOWS]-(c) RETURN count(*)',
    reference: `WITH u AS (SELECT src AS x, dst AS y, src AS s, dst AS d FROM knows UNION ALL SELECT dst, src, src, dst FROM knows)
      SELECT count(*) FROM u u1 JOIN u u2 ON u2.x = u1.y WHERE NOT (u1.s = u2.s AND u1.d = u2.d)`,
  },
  {
    name: 'cycle back to the start',
    cypher: 'MATCH (a:Person)-[:KNOWS]->(b)-[:KNOWS]->(a) RETURN a.id, b.id',
    reference: 'SELECT k1.src, k1.dst FROM knows k1 JOIN knows k2 ON k2.src = k1.dst AND k2.dst = k1.src',
  },
  {
    name: 'aggregate per company',
    cypher:
      'MATCH (a:Person)-[:WORKS_AT]->(c:Company) RETURN c.name AS company, count(a) AS staff ORDER BY staff DESC, company',
    reference:
      'SELECT c.name AS company, count(*) AS staff FROM works_at w JOIN company c ON c.id = w.company_id GROUP BY c.name ORDER BY staff DESC, company',
    ordered: true,
  },
  {
    name: 'filter on the far vertex',
    cypher: "MATCH (a:Person)-[:WORKS_AT]->(c:Company {industry: 'tech'}) RETURN a.name ORDER BY a.name",
    reference:
      "SELECT p.name FROM works_at w JOIN company c ON c.id = w.company_id JOIN person p ON p.id = w.person_id WHERE c.industry = 'tech' ORDER BY p.name",
    ordered: true,
  },
  {
    name: 'OPTIONAL MATCH',
    cypher: 'MATCH (a:Person) OPTIONAL MATCH (a)-[:WORKS_AT]->(c:Company) RETURN a.id, c.name',
    reference:
      'SELECT p.id, c.name FROM person p LEFT JOIN works_at w ON w.person_id = p.id LEFT JOIN company c ON c.id = w.company_id',
  },
  {
    name: 'OPTIONAL MATCH with WHERE',
    cypher:
      'MATCH (a:Person) OPTIONAL MATCH (a)-[:KNOWS]->(b:Person) WHERE b.age > 50 RETURN a.id, count(b) AS n',
    reference:
      'SELECT p.id, count(b.id) FROM person p LEFT JOIN (knows k JOIN person b ON b.id = k.dst AND b.age > 50) ON k.src = p.id GROUP BY p.id',
  },
  {
    name: 'variable length 1..2',
    cypher: 'MATCH (a:Person)-[:KNOWS*1..2]->(b:Person) WHERE a.id = 1 RETURN DISTINCT b.id',
    reference: `${refTrails('id = 1', 'out', 2)} SELECT DISTINCT node FROM trails`,
  },
  {
    name: 'exactly two hops, one row per path',
    cypher: 'MATCH (a:Person {id: 3})-[:KNOWS*2]->(b) RETURN b.id',
    reference: `${refTrails('id = 3', 'out', 2)} SELECT node FROM trails WHERE depth = 2`,
  },
  {
    name: 'up to three hops, paths per vertex',
    cypher: 'MATCH (a:Person {id: 4})-[:KNOWS*..3]->(b) RETURN b.id, count(*) AS paths',
    reference: `${refTrails('id = 4', 'out', 3)} SELECT node, count(*) FROM trails GROUP BY node`,
  },
  {
    name: 'zero hops included',
    cypher: 'MATCH (a:Person {id: 6})-[:KNOWS*0..2]->(b) RETURN DISTINCT b.id',
    reference: `${refTrails('id = 6', 'out', 2)} SELECT node FROM trails UNION SELECT 6`,
  },
  {
    name: 'variable length either way',
    cypher: 'MATCH (a:Person {id: 7})-[:KNOWS*1..3]-(b) RETURN DISTINCT b.id',
    reference: `${refTrails('id = 7', 'both', 3)} SELECT DISTINCT node FROM trails`,
  },
  {
    name: 'variable length incoming',
    cypher: 'MATCH (a:Person {id: 8})<-[:KNOWS*1..2]-(b) RETURN DISTINCT b.id',
    reference: `${refTrails('id = 8', 'in', 2)} SELECT DISTINCT node FROM trails`,
  },
  {
    name: 'variable length anchored on the right',
    cypher: 'MATCH (b:Person)-[:KNOWS*1..2]->(a:Person {id: 9}) RETURN b.id',
    reference: `${refTrails('id = 9', 'in', 2)} SELECT node FROM trails`,
  },
  {
    name: 'shortest paths from one vertex',
    cypher: 'MATCH p = shortestPath((a:Person {id: 1})-[:KNOWS*..6]->(b:Person)) RETURN b.id, length(p) AS d',
    reference: `${refWalks('id = 1', 'out', 6)} SELECT node, d FROM dist`,
  },
  {
    name: 'shortest path between two vertices, either way',
    cypher: 'MATCH p = shortestPath((a:Person {id: 10})-[:KNOWS*..6]-(b:Person {id: 20})) RETURN length(p)',
    reference: `${refWalks('id = 10', 'both', 6)} SELECT d FROM dist WHERE node = 20`,
  },
  {
    name: 'all shortest paths',
    cypher:
      'MATCH p = allShortestPaths((a:Person {id: 11})-[:KNOWS*..5]->(b:Person)) RETURN b.id, count(*) AS paths',
    reference: `${refWalks('id = 11', 'out', 5)},
      counted AS (SELECT w.node, count(*) AS paths FROM walks w JOIN dist ON dist.start = w.start AND dist.node = w.node AND dist.d = w.depth GROUP BY w.node)
      SELECT node, paths FROM counted`,
  },
  {
    name: 'variable length past the unrolling limit (recursive CTE)',
    cypher: 'MATCH (a:Person {id: 4})-[:KNOWS*1..5]->(b) RETURN b.id, count(*) AS paths',
    reference: `${refTrails('id = 4', 'out', 5)} SELECT node, count(*) FROM trails GROUP BY node`,
  },
  {
    name: 'ACYCLIC either way, unrolled',
    cypher: 'MATCH ACYCLIC (a:Person {id: 5})-[:KNOWS*1..3]-(b) RETURN b.id, count(*) AS paths',
    reference: `${refAcyclic('id = 5', 'both', 3)} SELECT node, count(*) FROM paths GROUP BY node`,
  },
  {
    name: 'ACYCLIC, recursive',
    cypher: 'MATCH ACYCLIC (a:Person {id: 6})-[:KNOWS*2..5]->(b) RETURN b.id, count(*) AS paths',
    reference: `${refAcyclic('id = 6', 'out', 5)} SELECT node, count(*) FROM paths WHERE depth >= 2 GROUP BY node`,
  },
  {
    name: 'shortest paths within three hops (unrolled)',
    cypher: 'MATCH p = shortestPath((a:Person {id: 1})-[:KNOWS*..3]->(b:Person)) RETURN b.id, length(p) AS d',
    reference: `${refWalks('id = 1', 'out', 3)} SELECT node, d FROM dist`,
  },
  {
    name: 'pattern predicate',
    cypher: "MATCH (a:Person) WHERE (a)-[:WORKS_AT]->(:Company {industry: 'tech'}) RETURN a.id",
    reference:
      "SELECT w.person_id FROM works_at w JOIN company c ON c.id = w.company_id WHERE c.industry = 'tech'",
  },
  {
    name: 'negated pattern predicate',
    cypher: 'MATCH (a:Person)-[:KNOWS]->(b) WHERE NOT (b)-[:KNOWS]->(a) RETURN count(*)',
    reference:
      'SELECT count(*) FROM knows k WHERE NOT EXISTS (SELECT 1 FROM knows r WHERE r.src = k.dst AND r.dst = k.src)',
  },
  {
    name: 'EXISTS { MATCH … WHERE … }',
    cypher: 'MATCH (a:Person) WHERE EXISTS { MATCH (a)-[:KNOWS]->(b) WHERE b.age > 60 } RETURN a.id',
    reference: 'SELECT DISTINCT k.src FROM knows k JOIN person b ON b.id = k.dst WHERE b.age > 60',
  },
  {
    name: 'COUNT { … }',
    cypher: 'MATCH (a:Person) RETURN a.id, COUNT { (a)-[:KNOWS]-() } AS degree',
    reference:
      'SELECT p.id, (SELECT count(*) FROM knows k WHERE k.src = p.id) + (SELECT count(*) FROM knows k WHERE k.dst = p.id) FROM person p',
  },
  {
    name: 'UNWIND a list parameter',
    cypher: 'UNWIND $ids AS id MATCH (a:Person {id: id})-[:KNOWS]->(b) RETURN id, count(b) AS n',
    params: { ids: [3, 8, 21, 99999] },
    reference: 'SELECT src, count(*) FROM knows WHERE src IN (3, 8, 21) GROUP BY src',
  },
  {
    name: 'variable length from vertices carried through WITH',
    cypher:
      'MATCH (a:Person) WHERE a.age > 60 WITH a MATCH (a)-[:KNOWS*1..2]->(b) RETURN DISTINCT a.id, b.id',
    reference: `${refTrails('age > 60', 'out', 2)} SELECT DISTINCT start, node FROM trails`,
  },
  {
    name: 'recursive search from vertices carried through WITH',
    cypher:
      'MATCH (a:Person {city: $city}) WITH a ORDER BY a.id LIMIT 3 MATCH (a)-[:KNOWS*1..4]->(b) RETURN a.id, count(*) AS paths',
    params: { city: 'Kyiv' },
    reference: `${refTrails("id IN (SELECT id FROM person WHERE city = 'Kyiv' ORDER BY id LIMIT 3)", 'out', 4)} SELECT start, count(*) FROM trails GROUP BY start`,
  },
  {
    name: 'a node of any label',
    cypher: 'MATCH (n) RETURN labels(n) AS label, count(*) AS n',
    reference: "SELECT ['Person'], count(*) FROM person UNION ALL SELECT ['Company'], count(*) FROM company",
  },
  {
    name: 'a node of any label, properties some labels lack',
    cypher: "MATCH (n) WHERE n.age > 60 OR n.industry = 'tech' RETURN n.name, n.age",
    reference:
      "SELECT name, age FROM person WHERE age > 60 UNION ALL SELECT name, NULL FROM company WHERE industry = 'tech'",
  },
  {
    name: 'WITH aggregation and WHERE',
    cypher: 'MATCH (a:Person) WITH a.city AS city, count(*) AS n WHERE n > 15 RETURN city, n ORDER BY city',
    reference: 'SELECT city, count(*) AS n FROM person GROUP BY city HAVING count(*) > 15 ORDER BY city',
    ordered: true,
  },
  {
    name: 'WITH ORDER BY LIMIT then MATCH',
    cypher:
      'MATCH (a:Person) WITH a ORDER BY a.age DESC, a.id LIMIT 5 MATCH (a)-[:KNOWS]->(b) RETURN a.id, b.id',
    reference:
      'SELECT k.src, k.dst FROM (SELECT id FROM person ORDER BY age DESC, id LIMIT 5) t JOIN knows k ON k.src = t.id',
  },
  {
    name: 'WITH vertex and count',
    cypher:
      'MATCH (a:Person)-[:KNOWS]->(b) WITH b, count(a) AS fans WHERE fans >= 3 RETURN b.name, fans ORDER BY fans DESC, b.name',
    reference:
      'SELECT p.name, count(*) AS fans FROM knows k JOIN person p ON p.id = k.dst GROUP BY p.name HAVING count(*) >= 3 ORDER BY fans DESC, p.name',
    ordered: true,
  },
  {
    name: 'avg min max sum',
    cypher:
      'MATCH (a:Person) RETURN a.city, avg(a.age) AS avg_age, min(a.age) AS youngest, max(a.age) AS oldest, sum(a.age) AS total ORDER BY a.city',
    reference: 'SELECT city, avg(age), min(age), max(age), sum(age) FROM person GROUP BY city ORDER BY city',
    ordered: true,
  },
  {
    name: 'collect',
    cypher: 'MATCH (a:Person)-[:WORKS_AT]->(c:Company) RETURN c.id, collect(a.id) AS ids',
    reference: 'SELECT company_id, list(person_id) FROM works_at GROUP BY company_id',
  },
  {
    name: 'count DISTINCT',
    cypher: 'MATCH (a:Person)-[:KNOWS]->(b:Person) RETURN a.city, count(DISTINCT b.city) AS cities',
    reference:
      'SELECT a.city, count(DISTINCT b.city) FROM knows k JOIN person a ON a.id = k.src JOIN person b ON b.id = k.dst GROUP BY a.city',
  },
  {
    name: 'STARTS WITH',
    cypher: "MATCH (a:Person) WHERE a.name STARTS WITH 'P1' RETURN a.id",
    reference: "SELECT id FROM person WHERE name LIKE 'P1%'",
  },
  {
    name: 'ENDS WITH, CONTAINS, OR',
    cypher: "MATCH (a:Person) WHERE a.name ENDS WITH '7' OR a.name CONTAINS '33' RETURN a.id",
    reference: "SELECT id FROM person WHERE name LIKE '%7' OR name LIKE '%33%'",
  },
  {
    name: 'regular expression (whole string)',
    cypher: "MATCH (a:Person) WHERE a.name =~ 'P[0-9]' RETURN a.id",
    reference: "SELECT id FROM person WHERE regexp_full_match(name, 'P[0-9]')",
  },
  {
    name: 'list parameter with IN',
    cypher: 'MATCH (a:Person) WHERE a.id IN $ids RETURN a.name',
    params: { ids: [3, 5, 8, 13, 21] },
    reference: 'SELECT name FROM person WHERE id IN (3, 5, 8, 13, 21)',
  },
  {
    name: 'scalar parameters',
    cypher: 'MATCH (a:Person) WHERE a.age >= $min AND a.city = $city RETURN a.id',
    params: { min: 30, city: 'Lima' },
    reference: "SELECT id FROM person WHERE age >= 30 AND city = 'Lima'",
  },
  {
    name: 'SKIP and LIMIT',
    cypher: 'MATCH (a:Person) RETURN a.id ORDER BY a.age DESC, a.id SKIP 5 LIMIT 10',
    reference: 'SELECT id FROM person ORDER BY age DESC, id LIMIT 10 OFFSET 5',
    ordered: true,
  },
  {
    name: 'comma-separated patterns',
    cypher:
      'MATCH (a:Person)-[:KNOWS]->(b:Person), (b)-[:WORKS_AT]->(c:Company) WHERE a.id < 20 RETURN a.id, c.name',
    reference:
      'SELECT k.src, c.name FROM knows k JOIN works_at w ON w.person_id = k.dst JOIN company c ON c.id = w.company_id WHERE k.src < 20',
  },
  {
    name: 'colleagues',
    cypher:
      'MATCH (a:Person)-[:WORKS_AT]->(c:Company)<-[:WORKS_AT]-(b:Person) WHERE a.id < b.id RETURN count(*)',
    reference:
      'SELECT count(*) FROM works_at w1 JOIN works_at w2 ON w1.company_id = w2.company_id AND w1.person_id < w2.person_id',
  },
  {
    name: 'RETURN DISTINCT',
    cypher: 'MATCH (a:Person) RETURN DISTINCT a.city ORDER BY a.city',
    reference: 'SELECT DISTINCT city FROM person ORDER BY city',
    ordered: true,
  },
  {
    name: 'NOT and <>',
    cypher: 'MATCH (a:Person) WHERE NOT (a.age < 30) AND a.age <> 40 RETURN count(*)',
    reference: 'SELECT count(*) FROM person WHERE NOT (age < 30) AND age <> 40',
  },
  {
    name: 'CASE and functions',
    cypher:
      "MATCH (a:Person) RETURN a.id, CASE WHEN a.age < 30 THEN 'young' ELSE 'older' END AS band, toUpper(a.city) AS c ORDER BY a.id LIMIT 10",
    reference:
      "SELECT id, CASE WHEN age < 30 THEN 'young' ELSE 'older' END, upper(city) FROM person ORDER BY id LIMIT 10",
    ordered: true,
  },
  {
    name: 'two MATCH clauses, vertex comparison',
    cypher:
      'MATCH (a:Person {id: 8}) MATCH (a)-[:KNOWS]->(b)-[:KNOWS]->(c) WHERE c <> a RETURN DISTINCT c.id',
    reference:
      'SELECT DISTINCT k2.dst FROM knows k1 JOIN knows k2 ON k2.src = k1.dst WHERE k1.src = 8 AND k2.dst <> 8',
  },
  {
    name: 'UNION',
    cypher:
      'MATCH (a:Person)-[:KNOWS]->(b) RETURN a.id AS id UNION MATCH (a:Person)-[:WORKS_AT]->(c) RETURN a.id AS id',
    reference: 'SELECT src FROM knows UNION SELECT person_id FROM works_at',
  },
  {
    name: 'labels inferred from the edge',
    cypher: 'MATCH (a)-[:KNOWS]->(b) WHERE a.city = b.city RETURN count(*) AS same_city',
    reference:
      'SELECT count(*) FROM knows k JOIN person a ON a.id = k.src JOIN person b ON b.id = k.dst WHERE a.city = b.city',
  },
  {
    name: 'edge property filter from the far side',
    cypher: 'MATCH (c:Company)<-[w:WORKS_AT]-(a) WHERE w.since < 2012 RETURN c.id, a.id',
    reference: 'SELECT company_id, person_id FROM works_at WHERE since < 2012',
  },
];
