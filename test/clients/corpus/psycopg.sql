-- Statements psycopg sent to Spoke while connecting and browsing, recorded at the wire by record-corpus.ts.
-- ---- statement
BEGIN
-- ---- statement
SELECT 1
-- ---- statement
SELECT id FROM crm.customers WHERE id = $1
-- ---- statement
COMMIT
