-- Collections: crypto orders, payment links and hosted checkouts created from the back office
-- (REFERENCE §2.6, §2.7). P100 has no list of them, so this is the index: an order is recorded when
-- its rate is locked and moves to 'sending' in the same transaction as its audit row before the
-- create call (a conditional update, so a double click creates once); a link is recorded when P100
-- made it. Then each follows P100's details (page, follower, webhooks); a status moves only forward.
CREATE TABLE collections (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,                       -- order, payment_link, hosted_checkout
    status TEXT NOT NULL,                     -- see domain::collections::CollectionStatus
    upstream_id TEXT UNIQUE,                  -- P100's orderId / payment link id
    upstream_status TEXT,                     -- P100's word as last read
    eur_amount TEXT NOT NULL,                 -- what settles in EUR; exact decimals as text, never floats
    currency TEXT NOT NULL,                   -- order: the crypto paid in; link: eur
    network TEXT,
    crypto_amount TEXT,                       -- order: the exact crypto due
    received_amount TEXT,                     -- order: crypto received so far
    rate TEXT,                                -- order: EUR per unit of the crypto at the lock
    confirmations BIGINT,
    required_confirmations BIGINT,
    lock_id TEXT UNIQUE,
    lock_until TEXT,
    wallet_address TEXT,
    transaction_hash TEXT,
    url TEXT,
    description TEXT,
    reference TEXT,
    expires_at TEXT,
    transfers TEXT,                           -- link: P100's transactions array as last read (JSON)
    failure TEXT,
    created_by TEXT NOT NULL REFERENCES staff(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX collections_created ON collections (created_at, id);
CREATE INDEX collections_status ON collections (status, updated_at);
