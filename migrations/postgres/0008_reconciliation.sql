-- Reconciliation: what P100 says about each movement we started, the P100 movements in the
-- partner's history that nobody started here, and who resolved which mismatch with what note.

-- The webhook events that mention a movement or user: the id the payload names (transferId,
-- withdrawalId, exchangeId, externalUserId), set at intake.
ALTER TABLE webhook_events ADD COLUMN subject TEXT COLLATE "C";
CREATE INDEX webhook_events_subject ON webhook_events (subject, received_at);
-- How often an event was processed again by hand (the log's "Re-process").
ALTER TABLE webhook_events ADD COLUMN reprocessed BIGINT NOT NULL DEFAULT 0;

-- P100's latest answer for one of our movements (payouts, withdrawals, transfers, exchanges),
-- refreshed in the background at a bounded rate.
CREATE TABLE reconciliation_checks (
    subject_id TEXT COLLATE "C" PRIMARY KEY,              -- movements.id or exchanges.id
    upstream_id TEXT COLLATE "C" NOT NULL,
    found BOOLEAN NOT NULL,                   -- false: P100 answered that it has no such record
    status TEXT COLLATE "C",                              -- P100's status word
    amount TEXT COLLATE "C",                              -- exact decimal text
    currency TEXT COLLATE "C",
    error TEXT COLLATE "C",                               -- the last check could not be made (P100 unreachable, ...)
    checked_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX reconciliation_checks_checked ON reconciliation_checks (checked_at);

-- Outgoing movements in the partner's P100 history whose id none of our records holds.
CREATE TABLE reconciliation_foreign (
    upstream_id TEXT COLLATE "C" PRIMARY KEY,
    kind TEXT COLLATE "C" NOT NULL,                       -- the history's entry type
    currency TEXT COLLATE "C" NOT NULL,
    amount TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,                 -- P100's date of the entry
    seen_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX reconciliation_foreign_created ON reconciliation_foreign (created_at);

-- A finance member's word on a mismatch. It covers the mismatches listed; a different one later
-- puts the row back in the queue. Never deleted: the report shows who resolved what.
CREATE TABLE reconciliation_resolutions (
    id TEXT COLLATE "C" PRIMARY KEY,
    subject_id TEXT COLLATE "C" NOT NULL,                 -- a movement, an exchange, or a foreign upstream id
    mismatches TEXT COLLATE "C" NOT NULL,                 -- the mismatch codes seen when resolved, comma separated
    note TEXT COLLATE "C" NOT NULL,
    resolved_by TEXT COLLATE "C" NOT NULL REFERENCES staff(id),
    resolved_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX reconciliation_resolutions_subject ON reconciliation_resolutions (subject_id, resolved_at);
CREATE INDEX reconciliation_resolutions_at ON reconciliation_resolutions (resolved_at);

-- How long a movement may go without a webhook, or sit in P100's history unclaimed, before it is
-- a mismatch (minutes; admin setting).
INSERT INTO settings (key, value, updated_at) VALUES ('reconciliation.grace_minutes', '15', '2026-01-01T00:00:00.000Z');
