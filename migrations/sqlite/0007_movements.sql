-- Money sent out or between balances from the back office: SEPA payouts, crypto withdrawals and
-- internal transfers. P100 has no list of them, so this is the index of ours. Each is recorded (with
-- its audit row, in one transaction) before P100 is called; `idempotency_key` comes from the review
-- the member confirmed, so a double click, a browser retry or a second tab records it once. Sending
-- is a conditional update to 'submitting' (one caller wins), and a movement whose call got no answer
-- becomes 'unknown' and is found in P100's history, never sent again.

CREATE TABLE movements (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,                       -- sepa, crypto, transfer
    external_user_id TEXT,                    -- NULL: the partner's balance (sepa, crypto); the user of a transfer
    direction TEXT,                           -- transfers only: to_user (funding), to_partner (collection)
    currency TEXT NOT NULL,
    amount TEXT NOT NULL,                     -- exact decimals as text, never floats
    fee TEXT NOT NULL,                        -- what P100 charges on top, as estimated at review; P100's figure once known
    network TEXT,                             -- crypto only
    destination TEXT NOT NULL,                -- IBAN, address, or the receiving side of a transfer
    beneficiary TEXT,                         -- SEPA beneficiary or travel-rule receiver name
    bic TEXT,
    reference TEXT,                           -- SEPA transfer title, crypto memo, transfer note
    details TEXT NOT NULL,                    -- the exact upstream request body (JSON)
    idempotency_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,                     -- awaiting_approval, cancelled, submitting, pending, completed, failed, unknown
    approval_id TEXT REFERENCES approvals(id),
    upstream_id TEXT UNIQUE,                  -- P100's transferId / withdrawalId
    upstream_status TEXT,
    failure TEXT,
    created_by TEXT NOT NULL REFERENCES staff(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    submitted_at TEXT
);
CREATE INDEX movements_created ON movements (created_at);
CREATE INDEX movements_status ON movements (status, updated_at);
CREATE INDEX movements_user ON movements (external_user_id, created_at);

-- Settings an admin changes from the settings page (audited): key -> value.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_by TEXT REFERENCES staff(id),
    updated_at TEXT NOT NULL
);
-- Four-eyes thresholds per currency: a movement above the amount waits for a second member.
INSERT INTO settings (key, value, updated_at) VALUES
    ('approval_threshold.eur', '1000', '2026-01-01T00:00:00.000Z'),
    ('approval_threshold.eurt', '1000', '2026-01-01T00:00:00.000Z'),
    ('approval_threshold.usdc', '1000', '2026-01-01T00:00:00.000Z'),
    ('approval_threshold.usdt', '1000', '2026-01-01T00:00:00.000Z'),
    ('approval_threshold.btc', '0.02', '2026-01-01T00:00:00.000Z'),
    ('approval_threshold.eth', '0.5', '2026-01-01T00:00:00.000Z'),
    ('approval_threshold.ltc', '10', '2026-01-01T00:00:00.000Z'),
    ('approval_threshold.doge', '5000', '2026-01-01T00:00:00.000Z'),
    ('approval_threshold.pol', '2000', '2026-01-01T00:00:00.000Z');
