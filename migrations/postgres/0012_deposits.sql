-- Money that arrives: SEPA deposits (REFERENCE.md §0 C5) and crypto deposits (WEBHOOKS.md §4.2),
-- as P100's webhooks announce them. P100 has no list of deposits, so this is the index: one row per
-- P100 deposit id, upserted by its events. A status only moves forward (see `server::deposits`).
CREATE TABLE deposits (
    id TEXT COLLATE "C" PRIMARY KEY,
    kind TEXT COLLATE "C" NOT NULL,                       -- sepa, crypto
    external_user_id TEXT COLLATE "C",                    -- NULL: the partner's balance
    upstream_id TEXT COLLATE "C" NOT NULL UNIQUE,         -- P100's sepaDepositId / cryptoDepositId
    amount TEXT COLLATE "C" NOT NULL,                     -- exact decimals as text, never floats
    currency TEXT COLLATE "C" NOT NULL,
    sender TEXT COLLATE "C",                              -- SEPA: sender's name and IBAN; crypto: sending address; where P100 says
    status TEXT COLLATE "C" NOT NULL,                     -- P100's word as received
    travel_rule TEXT COLLATE "C",                         -- crypto: needed (P100 held it for the data), sent (staff sent it); NULL: never asked
    tx_hash TEXT COLLATE "C",
    received_at TEXT COLLATE "C" NOT NULL,                -- P100's createdAt, else when the first event arrived
    updated_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX deposits_received ON deposits (received_at, id);
CREATE INDEX deposits_user ON deposits (external_user_id, received_at);
CREATE INDEX deposits_status ON deposits (status, received_at);

-- The IBAN status webhook (first-party payment verification of a SEPA deposit): the latest word per
-- user and sending IBAN. APPROVED also whitelists that IBAN for the user's payouts.
CREATE TABLE iban_checks (
    external_user_id TEXT COLLATE "C" NOT NULL REFERENCES users(external_user_id),
    iban TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,                     -- PENDING, APPROVED, REJECTED (P100's word as received)
    updated_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (external_user_id, iban)
);
