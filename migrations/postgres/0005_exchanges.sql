-- Currency exchanges started from the back office. P100 has no list of exchanges, so this is the
-- index of ours: each is recorded when its rate is locked, moves to 'submitting' in the same
-- transaction as its audit row before the finalize call (a conditional update, so a double click
-- finalizes once), then follows P100's status through the details endpoint and webhooks.

CREATE TABLE exchanges (
    id TEXT COLLATE "C" PRIMARY KEY,
    external_user_id TEXT COLLATE "C",                    -- NULL: the partner's own balances
    currency_from TEXT COLLATE "C" NOT NULL,
    currency_to TEXT COLLATE "C" NOT NULL,
    amount_from TEXT COLLATE "C" NOT NULL,                -- exact decimals as text, never floats
    amount_to TEXT COLLATE "C" NOT NULL,                  -- quoted at the locked rate; P100's figure once known
    rate TEXT COLLATE "C" NOT NULL,                       -- units of currency_to per unit of currency_from
    fee TEXT COLLATE "C" NOT NULL,                        -- in currency_to
    fee_percent TEXT COLLATE "C" NOT NULL,
    lock_id TEXT COLLATE "C" NOT NULL UNIQUE,
    valid_until TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,                     -- locked, expired, submitting, pending, completed, failed, unknown
    upstream_id TEXT COLLATE "C" UNIQUE,                  -- P100's exchangeId
    failure TEXT COLLATE "C",
    started_by TEXT COLLATE "C" NOT NULL REFERENCES staff(id),
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    finalized_by TEXT COLLATE "C" REFERENCES staff(id),
    finalized_at TEXT COLLATE "C"
);
CREATE INDEX exchanges_created ON exchanges (created_at);
CREATE INDEX exchanges_status ON exchanges (status, created_at);
CREATE INDEX exchanges_user ON exchanges (external_user_id, created_at);
