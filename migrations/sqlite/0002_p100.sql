-- Webhook intake and the built-in P100 sandbox's state. Amounts are exact decimal text.

-- Every webhook delivery P100 makes to us, stored raw before anything else happens.
CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY,
    route TEXT NOT NULL,                      -- e.g. webhook/sepa-transfer
    kind TEXT NOT NULL,                       -- what the payload is, by route or by its keys
    dedup_key TEXT NOT NULL,                  -- SHA-256 of route and payload: a redelivery is the same event
    payload TEXT NOT NULL,
    authenticated BOOLEAN NOT NULL,
    status TEXT NOT NULL,                     -- received, processed, failed, rejected
    error TEXT,
    deliveries BIGINT NOT NULL DEFAULT 1,
    received_at TEXT NOT NULL,
    processed_at TEXT
);
CREATE UNIQUE INDEX webhook_events_dedup ON webhook_events (dedup_key);
CREATE INDEX webhook_events_received ON webhook_events (received_at);

-- The sandbox: a stateful stand-in for P100, used when no P100 credentials are configured.
CREATE TABLE sandbox_users (
    external_user_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    profile TEXT NOT NULL,                    -- the create request, as JSON
    status TEXT NOT NULL,                     -- WAITING_FOR_ACTIVATION, ACTIVE, SUSPENDED, DELETED
    verification_status TEXT NOT NULL,
    attempt_status TEXT,
    rejection_reason TEXT,
    poa_status TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE sandbox_balances (
    owner TEXT NOT NULL,                      -- 'partner' or an externalUserId
    currency TEXT NOT NULL,
    id TEXT NOT NULL,
    amount TEXT NOT NULL,
    wallet TEXT,
    iban TEXT,
    status TEXT NOT NULL,
    PRIMARY KEY (owner, currency)
);

CREATE TABLE sandbox_locks (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,                       -- exchange, order
    payload TEXT NOT NULL,                    -- the lock as answered, JSON
    valid_until TEXT NOT NULL,
    used_at TEXT
);

-- Exchanges, SEPA payouts, crypto withdrawals, internal transfers, orders, payment links, deposits.
CREATE TABLE sandbox_movements (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    details TEXT NOT NULL,                    -- the details answer, JSON
    settle_at TEXT,                           -- when the clock moves it on; NULL when final or held
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX sandbox_movements_settle ON sandbox_movements (settle_at);

CREATE TABLE sandbox_transactions (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX sandbox_transactions_owner ON sandbox_transactions (owner, created_at);

-- Injected faults: the next `remaining` calls of `endpoint` get them.
CREATE TABLE sandbox_faults (
    endpoint TEXT PRIMARY KEY,
    latency_ms BIGINT NOT NULL,
    http_status BIGINT,
    timeout BOOLEAN NOT NULL,
    p_code TEXT,
    remaining BIGINT NOT NULL
);

CREATE TABLE sandbox_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Webhooks the sandbox owes the app, with P100's retry schedule.
CREATE TABLE sandbox_webhooks (
    id TEXT PRIMARY KEY,
    route TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at TEXT,
    delivered_at TEXT,
    last_status BIGINT,
    created_at TEXT NOT NULL
);
CREATE INDEX sandbox_webhooks_due ON sandbox_webhooks (next_attempt_at);
