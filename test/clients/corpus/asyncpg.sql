-- Statements asyncpg sent to Spoke while connecting and browsing, recorded at the wire by record-corpus.ts.
-- ---- statement
SELECT id, name FROM crm.customers WHERE id = $1
