-- What a team would build instead of the engine: the same sale as one
-- PostgreSQL transaction. Used by tools/bench/run.sh with pgbench and
-- tools/bench/pg_commit.sql. psql variable: members (how many to load).
--
-- Per sale, like the engine: check and keep the idempotency key with its
-- answer, insert the journal entry (unique per order, indexed per member for
-- the history) and its postings (which sum to zero), update the member's
-- balance and the program's balances.
DROP TABLE IF EXISTS postings, entries, idempotency_keys, balances,
  program_balances CASCADE;

CREATE TABLE balances (
  member_id text PRIMARY KEY,
  points bigint NOT NULL DEFAULT 0 CHECK (points >= 0),
  purchase_count bigint NOT NULL DEFAULT 0
);

CREATE TABLE program_balances (
  account text NOT NULL,
  asset text NOT NULL,
  amount bigint NOT NULL,
  PRIMARY KEY (account, asset)
);

CREATE TABLE entries (
  id bigserial PRIMARY KEY,
  request_id text NOT NULL,
  member_id text NOT NULL,
  order_id text NOT NULL UNIQUE,
  kind text NOT NULL,
  total_due_minor bigint NOT NULL,
  record_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX entries_by_member ON entries (member_id, id);

CREATE TABLE postings (
  entry_id bigint NOT NULL REFERENCES entries (id),
  line int NOT NULL,
  account text NOT NULL,
  asset text NOT NULL,
  amount bigint NOT NULL,
  PRIMARY KEY (entry_id, line)
);

CREATE TABLE idempotency_keys (
  request_id text PRIMARY KEY,
  fingerprint text NOT NULL,
  entry_id bigint,
  response text
);

INSERT INTO balances (member_id)
  SELECT 'bench-' || i FROM generate_series(0, :members - 1) AS i;
INSERT INTO program_balances VALUES
  ('program/points/issued', 'PTS', 0),
  ('program/points/redeemed', 'PTS', 0);

-- One sale. 1 point per 1.00 EUR paid (rounded down), like
-- rules/default.yaml; redeem_percent of the sales also burn up to a quarter
-- of the member's points. With program_rows false the program's balances
-- are not updated (the "no hot row" variant: every sale otherwise updates
-- the same row and holds its lock until the commit is durable).
CREATE OR REPLACE FUNCTION commit_sale(p_request_id text, p_member_id text,
                            p_subtotal bigint, p_redeem_percent int,
                            p_program_rows boolean)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v_points bigint;
  v_redeem bigint := 0;
  v_due bigint;
  v_earned bigint;
  v_entry bigint;
  v_member_account text := 'member/' || p_member_id || '/points/available';
  v_response text;
BEGIN
  INSERT INTO idempotency_keys (request_id, fingerprint)
    VALUES (p_request_id, md5(p_member_id || ':' || p_subtotal))
    ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN  -- a retry: the first answer
    SELECT response INTO v_response FROM idempotency_keys
      WHERE request_id = p_request_id;
    RETURN v_response;
  END IF;
  SELECT points INTO v_points FROM balances
    WHERE member_id = p_member_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'UNKNOWN_MEMBER: %', p_member_id;
  END IF;
  IF random() * 100 < p_redeem_percent THEN
    v_redeem := least(v_points / 4, p_subtotal / 4);
  END IF;
  v_due := p_subtotal - v_redeem;
  v_earned := v_due / 100;
  INSERT INTO entries (request_id, member_id, order_id, kind, total_due_minor)
    VALUES (p_request_id, p_member_id, p_request_id, 'purchase', v_due)
    RETURNING id INTO v_entry;
  INSERT INTO postings VALUES
    (v_entry, 1, 'program/points/issued', 'PTS', -v_earned),
    (v_entry, 2, v_member_account, 'PTS', v_earned);
  IF v_redeem > 0 THEN
    INSERT INTO postings VALUES
      (v_entry, 3, v_member_account, 'PTS', -v_redeem),
      (v_entry, 4, 'program/points/redeemed', 'PTS', v_redeem);
  END IF;
  UPDATE balances SET points = points - v_redeem + v_earned,
                      purchase_count = purchase_count + 1
    WHERE member_id = p_member_id;
  IF p_program_rows THEN
    UPDATE program_balances SET amount = amount - v_earned
      WHERE account = 'program/points/issued' AND asset = 'PTS';
    IF v_redeem > 0 THEN
      UPDATE program_balances SET amount = amount + v_redeem
        WHERE account = 'program/points/redeemed' AND asset = 'PTS';
    END IF;
  END IF;
  v_response := json_build_object('transaction_id', v_entry,
                                  'points_earned', v_earned,
                                  'redeemed_points', v_redeem,
                                  'points_available',
                                  v_points - v_redeem + v_earned)::text;
  UPDATE idempotency_keys SET entry_id = v_entry, response = v_response
    WHERE request_id = p_request_id;
  RETURN v_response;
END $$;

VACUUM ANALYZE;
CHECKPOINT;
