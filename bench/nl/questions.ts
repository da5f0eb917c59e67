/**
 * The evaluation set: questions over the demo schema (`crm`, `lake`, `docs`)
 * and TPC-H (source `tpch`), each with a gold SQL written by hand. A model's
 * answer is scored by execution accuracy: its SQL's rows equal the gold
 * SQL's (see run-eval.ts for the comparison).
 */

/** One question. */
export interface EvalQuestion {
  readonly id: string;
  readonly schema: 'demo' | 'tpch';
  readonly question: string;
  readonly gold: string;
  /** Row order is part of the answer (the question asks for an order or a top-k). */
  readonly ordered?: boolean;
}

const demo = (id: number, question: string, gold: string, ordered = false): EvalQuestion => ({
  id: `demo-${String(id).padStart(2, '0')}`,
  schema: 'demo',
  question,
  gold,
  ordered,
});
const tpch = (id: number, question: string, gold: string, ordered = false): EvalQuestion => ({
  id: `tpch-${String(id).padStart(2, '0')}`,
  schema: 'tpch',
  question,
  gold,
  ordered,
});

export const QUESTIONS: readonly EvalQuestion[] = [
  demo(1, 'How many customers are there?', 'SELECT count(*) FROM crm.customers'),
  demo(
    2,
    'How many customers are in each region?',
    'SELECT region, count(*) FROM crm.customers GROUP BY region',
  ),
  demo(
    3,
    'How many customers are on the enterprise tier?',
    "SELECT count(*) FROM crm.customers WHERE tier = 'enterprise'",
  ),
  demo(
    4,
    'How many customers signed up in 2022?',
    "SELECT count(*) FROM crm.customers WHERE signup_date >= DATE '2022-01-01' AND signup_date < DATE '2023-01-01'",
  ),
  demo(5, 'What is the total sales amount?', 'SELECT sum(amount) FROM lake.sales'),
  demo(
    6,
    'What is the total sales amount per product, largest first?',
    'SELECT product, sum(amount) AS total FROM lake.sales GROUP BY product ORDER BY total DESC',
    true,
  ),
  demo(
    7,
    'What is the revenue per customer region?',
    'SELECT c.region, sum(s.amount) FROM crm.customers c JOIN lake.sales s ON s.customer_id = c.id GROUP BY c.region',
  ),
  demo(
    8,
    'Which 5 customers spent the most? Give their names and totals.',
    'SELECT c.name, sum(s.amount) AS total FROM crm.customers c JOIN lake.sales s ON s.customer_id = c.id GROUP BY c.id, c.name ORDER BY total DESC LIMIT 5',
    true,
  ),
  demo(
    9,
    'How many sales were made in each quarter of 2024?',
    "SELECT extract(quarter FROM sold_at) AS q, count(*) FROM lake.sales WHERE sold_at >= TIMESTAMPTZ '2024-01-01 00:00:00+00' AND sold_at < TIMESTAMPTZ '2025-01-01 00:00:00+00' GROUP BY q",
  ),
  demo(
    10,
    'What is the average quantity per sale for the Pro plan?',
    "SELECT avg(quantity) FROM lake.sales WHERE product = 'Pro plan'",
  ),
  demo(
    11,
    'How many distinct customers bought the Enterprise plan?',
    "SELECT count(DISTINCT customer_id) FROM lake.sales WHERE product = 'Enterprise plan'",
  ),
  demo(
    12,
    'How many customers never bought anything?',
    'SELECT count(*) FROM crm.customers c WHERE NOT EXISTS (SELECT 1 FROM lake.sales s WHERE s.customer_id = c.id)',
  ),
  demo(13, 'What is the largest single sale amount?', 'SELECT max(amount) FROM lake.sales'),
  demo(
    14,
    'What is the revenue per customer tier?',
    'SELECT c.tier, sum(s.amount) FROM crm.customers c JOIN lake.sales s ON s.customer_id = c.id GROUP BY c.tier',
  ),
  demo(
    15,
    'How many documents does each department have?',
    'SELECT department, count(*) FROM lake.documents GROUP BY department',
  ),
  demo(
    16,
    'How many documents mention query federation?',
    "SELECT count(*) FROM docs.documents WHERE body @@ 'query federation'",
  ),
  demo(
    17,
    'List the titles of the 3 documents written most recently.',
    'SELECT title FROM lake.documents ORDER BY created_at DESC, id LIMIT 3',
    true,
  ),
  demo(
    18,
    'How many documents were written by customers in APAC?',
    "SELECT count(*) FROM lake.documents d JOIN crm.customers c ON c.id = d.customer_id WHERE c.region = 'APAC'",
  ),
  demo(
    19,
    'Which region has the most customers on the pro tier?',
    "SELECT region FROM crm.customers WHERE tier = 'pro' GROUP BY region ORDER BY count(*) DESC LIMIT 1",
  ),
  demo(
    20,
    'How many sales of the Training seat were there per region?',
    "SELECT c.region, count(*) FROM lake.sales s JOIN crm.customers c ON c.id = s.customer_id WHERE s.product = 'Training seat' GROUP BY c.region",
  ),
  demo(
    21,
    'What is the average sale amount per region?',
    'SELECT c.region, avg(s.amount) FROM lake.sales s JOIN crm.customers c ON c.id = s.customer_id GROUP BY c.region',
  ),
  demo(
    22,
    'How many customers have more than 120 sales?',
    'SELECT count(*) FROM (SELECT customer_id FROM lake.sales GROUP BY customer_id HAVING count(*) > 120) t',
  ),
  demo(
    23,
    'How many Research documents mention machine learning?',
    "SELECT count(*) FROM docs.documents WHERE department = 'Research' AND body @@ 'machine learning'",
  ),
  demo(
    24,
    'What are the ids of the 5 documents nearest to the vector [1,0,0,0,0,0,0,0]?',
    "SELECT id FROM docs.documents ORDER BY embedding <-> '[1,0,0,0,0,0,0,0]', id LIMIT 5",
    true,
  ),
  demo(
    25,
    'How many customers signed up each year?',
    'SELECT extract(year FROM signup_date) AS y, count(*) FROM crm.customers GROUP BY y',
  ),
  demo(
    26,
    'What is the total quantity sold per product?',
    'SELECT product, sum(quantity) FROM lake.sales GROUP BY product',
  ),
  demo(
    27,
    'How many documents did the customer with id 42 write?',
    'SELECT count(*) FROM lake.documents WHERE customer_id = 42',
  ),
  demo(
    28,
    'What share of customers are on the free tier, as a percentage?',
    "SELECT 100.0 * count(*) FILTER (WHERE tier = 'free') / count(*) FROM crm.customers",
  ),
  demo(
    29,
    'In which month of 2024 was revenue highest?',
    'SELECT extract(month FROM sold_at) AS m FROM lake.sales WHERE extract(year FROM sold_at) = 2024 GROUP BY m ORDER BY sum(amount) DESC LIMIT 1',
  ),
  demo(
    30,
    'How many EMEA customers on the enterprise tier bought Support hours?',
    "SELECT count(DISTINCT c.id) FROM crm.customers c JOIN lake.sales s ON s.customer_id = c.id WHERE c.region = 'EMEA' AND c.tier = 'enterprise' AND s.product = 'Support hours'",
  ),
  tpch(1, 'How many orders are there?', 'SELECT count(*) FROM tpch.orders'),
  tpch(
    2,
    'How many customers are in each market segment?',
    'SELECT c_mktsegment, count(*) FROM tpch.customer GROUP BY c_mktsegment',
  ),
  tpch(
    3,
    'How many suppliers does each nation have? Give the nation names.',
    'SELECT n.n_name, count(*) FROM tpch.supplier s JOIN tpch.nation n ON n.n_nationkey = s.s_nationkey GROUP BY n.n_name',
  ),
  tpch(
    4,
    'What is the total price of all orders placed in 1995?',
    "SELECT sum(o_totalprice) FROM tpch.orders WHERE o_orderdate >= DATE '1995-01-01' AND o_orderdate < DATE '1996-01-01'",
  ),
  tpch(
    5,
    'How many line items were shipped by AIR?',
    "SELECT count(*) FROM tpch.lineitem WHERE l_shipmode = 'AIR'",
  ),
  tpch(
    6,
    'What is the average account balance of customers per region name?',
    'SELECT r.r_name, avg(c.c_acctbal) FROM tpch.customer c JOIN tpch.nation n ON n.n_nationkey = c.c_nationkey JOIN tpch.region r ON r.r_regionkey = n.n_regionkey GROUP BY r.r_name',
  ),
  tpch(
    7,
    'Which 10 customers have the highest total order value? Give their names.',
    'SELECT c.c_name, sum(o.o_totalprice) AS total FROM tpch.customer c JOIN tpch.orders o ON o.o_custkey = c.c_custkey GROUP BY c.c_custkey, c.c_name ORDER BY total DESC LIMIT 10',
    true,
  ),
  tpch(
    8,
    'How many orders are there per order status?',
    'SELECT o_orderstatus, count(*) FROM tpch.orders GROUP BY o_orderstatus',
  ),
  tpch(
    9,
    'What is the revenue (extended price times one minus discount) of line items shipped in 1994?',
    "SELECT sum(l_extendedprice * (1 - l_discount)) FROM tpch.lineitem WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01'",
  ),
  tpch(10, 'How many parts of size 15 are there?', 'SELECT count(*) FROM tpch.part WHERE p_size = 15'),
  tpch(
    11,
    'How many line items were returned (return flag R)?',
    "SELECT count(*) FROM tpch.lineitem WHERE l_returnflag = 'R'",
  ),
  tpch(
    12,
    'How many customers have never placed an order?',
    'SELECT count(*) FROM tpch.customer c WHERE NOT EXISTS (SELECT 1 FROM tpch.orders o WHERE o.o_custkey = c.c_custkey)',
  ),
  tpch(
    13,
    'What is the average number of line items per order?',
    'SELECT avg(n) FROM (SELECT count(*) AS n FROM tpch.lineitem GROUP BY l_orderkey) t',
  ),
  tpch(
    14,
    'Which nation has the most customers?',
    'SELECT n.n_name FROM tpch.customer c JOIN tpch.nation n ON n.n_nationkey = c.c_nationkey GROUP BY n.n_name ORDER BY count(*) DESC LIMIT 1',
  ),
  tpch(
    15,
    'How many orders were placed per year?',
    'SELECT extract(year FROM o_orderdate) AS y, count(*) FROM tpch.orders GROUP BY y',
  ),
  tpch(
    16,
    'What is the total available quantity of parts across all suppliers?',
    'SELECT sum(ps_availqty) FROM tpch.partsupp',
  ),
  tpch(
    17,
    'How many suppliers have a negative account balance?',
    'SELECT count(*) FROM tpch.supplier WHERE s_acctbal < 0',
  ),
  tpch(
    18,
    'How many urgent orders (priority 1-URGENT) were there in each year?',
    "SELECT extract(year FROM o_orderdate) AS y, count(*) FROM tpch.orders WHERE o_orderpriority = '1-URGENT' GROUP BY y",
  ),
  tpch(
    19,
    'What is the average discount of line items per ship mode?',
    'SELECT l_shipmode, avg(l_discount) FROM tpch.lineitem GROUP BY l_shipmode',
  ),
  tpch(
    20,
    'Which 5 parts by name have the highest retail price?',
    'SELECT p_name FROM tpch.part ORDER BY p_retailprice DESC, p_partkey LIMIT 5',
    true,
  ),
];
