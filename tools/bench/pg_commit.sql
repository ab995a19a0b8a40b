-- pgbench script: one sale per transaction (see pg_schema.sql).
-- Variables (-D): members, zipf (0 = uniform, else the exponent, >= 1.001,
-- the same popularity as loyalty-bench --zipf), program (1 = update the
-- program's balances, 0 = the "no hot row" variant).
\set member random(0, :members - 1)
\if :zipf > 0
\set member random_zipfian(0, :members - 1, :zipf)
\endif
\set request random(1, 9223372036854775806)
-- A basket like loyalty-bench's: 1-20 lines of 1-3 units at 0.50-50.00 EUR.
\set subtotal random(1, 20) * random(1, 3) * random(50, 5000)
SELECT commit_sale(:client_id::text || '-' || :request::text,
                   'bench-' || :member::text,
                   :subtotal, 20, :program = 1);
