-- Collections: crypto orders, payment links and hosted checkouts created from the back office
-- (REFERENCE §2.6, §2.7). P100 has no list of them, so this is the index: an order is recorded when
-- its rate is locked and moves to 'sending' in the same transaction as its audit row before the
-- create call (a conditional update, so a double click creates once); a link is recorded when P100
-- made it. Then each follows P100's details (page, follower, webhooks); a status moves only forward.
CREATE TABLE collections (
    id TEXT COLLATE "C" PRIMARY KEY,
    kind TEXT COLLATE "C" NOT NULL,                       -- order, payment_link, hosted_checkout
    status TEXT COLLATE "C" NOT NULL,                     -- see domain::collections::CollectionStatus
    upstream_id TEXT COLLATE "C" UNIQUE,                  -- P100's orderId / payment link id
    upstream_status TEXT COLLATE "C",                     -- P100's word as last read
    eur_amount TEXT COLLATE "C" NOT NULL,                 -- what settles in EUR; exact decimals as text, never floats
    currency TEXT COLLATE "C" NOT NULL,                   -- order: the crypto paid in; link: eur
    network TEXT COLLATE "C",
    crypto_amount TEXT COLLATE "C",                       -- order: the exact crypto due
    received_amount TEXT COLLATE "C",                     -- order: crypto received so far
    rate TEXT COLLATE "C",                                -- order: EUR per unit of the crypto at the lock
    confirmations BIGINT,
    required_confirmations BIGINT,
    lock_id TEXT COLLATE "C" UNIQUE,
    lock_until TEXT COLLATE "C",
    wallet_address TEXT COLLATE "C",
    transaction_hash TEXT COLLATE "C",
    url TEXT COLLATE "C",
    description TEXT COLLATE "C",
    reference TEXT COLLATE "C",
    expires_at TEXT COLLATE "C",
    transfers TEXT COLLATE "C",                           -- link: P100's transactions array as last read (JSON)
    failure TEXT COLLATE "C",
    created_by TEXT COLLATE "C" NOT NULL REFERENCES staff(id),
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX collections_created ON collections (created_at, id);
CREATE INDEX collections_status ON collections (status, updated_at);
