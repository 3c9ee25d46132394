-- Money that arrives: SEPA deposits (REFERENCE.md §0 C5) and crypto deposits (WEBHOOKS.md §4.2),
-- as P100's webhooks announce them. P100 has no list of deposits, so this is the index: one row per
-- P100 deposit id, upserted by its events. A status only moves forward (see `server::deposits`).
CREATE TABLE deposits (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,                       -- sepa, crypto
    external_user_id TEXT,                    -- NULL: the partner's balance
    upstream_id TEXT NOT NULL UNIQUE,         -- P100's sepaDepositId / cryptoDepositId
    amount TEXT NOT NULL,                     -- exact decimals as text, never floats
    currency TEXT NOT NULL,
    sender TEXT,                              -- SEPA: sender's name and IBAN; crypto: sending address; where P100 says
    status TEXT NOT NULL,                     -- P100's word as received
    travel_rule TEXT,                         -- crypto: needed (P100 held it for the data), sent (staff sent it); NULL: never asked
    tx_hash TEXT,
    received_at TEXT NOT NULL,                -- P100's createdAt, else when the first event arrived
    updated_at TEXT NOT NULL
);
CREATE INDEX deposits_received ON deposits (received_at, id);
CREATE INDEX deposits_user ON deposits (external_user_id, received_at);
CREATE INDEX deposits_status ON deposits (status, received_at);

-- The IBAN status webhook (first-party payment verification of a SEPA deposit): the latest word per
-- user and sending IBAN. APPROVED also whitelists that IBAN for the user's payouts.
CREATE TABLE iban_checks (
    external_user_id TEXT NOT NULL REFERENCES users(external_user_id),
    iban TEXT NOT NULL,
    status TEXT NOT NULL,                     -- PENDING, APPROVED, REJECTED (P100's word as received)
    updated_at TEXT NOT NULL,
    PRIMARY KEY (external_user_id, iban)
);
