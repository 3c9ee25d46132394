-- Webhook intake and the built-in P100 sandbox's state. Amounts are exact decimal text.

-- Every webhook delivery P100 makes to us, stored raw before anything else happens.
CREATE TABLE webhook_events (
    id TEXT COLLATE "C" PRIMARY KEY,
    route TEXT COLLATE "C" NOT NULL,                      -- e.g. webhook/sepa-transfer
    kind TEXT COLLATE "C" NOT NULL,                       -- what the payload is, by route or by its keys
    dedup_key TEXT COLLATE "C" NOT NULL,                  -- SHA-256 of route and payload: a redelivery is the same event
    payload TEXT COLLATE "C" NOT NULL,
    authenticated BOOLEAN NOT NULL,
    status TEXT COLLATE "C" NOT NULL,                     -- received, processed, failed, rejected
    error TEXT COLLATE "C",
    deliveries BIGINT NOT NULL DEFAULT 1,
    received_at TEXT COLLATE "C" NOT NULL,
    processed_at TEXT COLLATE "C"
);
CREATE UNIQUE INDEX webhook_events_dedup ON webhook_events (dedup_key);
CREATE INDEX webhook_events_received ON webhook_events (received_at);

-- The sandbox: a stateful stand-in for P100, used when no P100 credentials are configured.
CREATE TABLE sandbox_users (
    external_user_id TEXT COLLATE "C" PRIMARY KEY,
    user_id TEXT COLLATE "C" NOT NULL,
    profile TEXT COLLATE "C" NOT NULL,                    -- the create request, as JSON
    status TEXT COLLATE "C" NOT NULL,                     -- WAITING_FOR_ACTIVATION, ACTIVE, SUSPENDED, DELETED
    verification_status TEXT COLLATE "C" NOT NULL,
    attempt_status TEXT COLLATE "C",
    rejection_reason TEXT COLLATE "C",
    poa_status TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
);

CREATE TABLE sandbox_balances (
    owner TEXT COLLATE "C" NOT NULL,                      -- 'partner' or an externalUserId
    currency TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    amount TEXT COLLATE "C" NOT NULL,
    wallet TEXT COLLATE "C",
    iban TEXT COLLATE "C",
    status TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (owner, currency)
);

CREATE TABLE sandbox_locks (
    id TEXT COLLATE "C" PRIMARY KEY,
    owner TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,                       -- exchange, order
    payload TEXT COLLATE "C" NOT NULL,                    -- the lock as answered, JSON
    valid_until TEXT COLLATE "C" NOT NULL,
    used_at TEXT COLLATE "C"
);

-- Exchanges, SEPA payouts, crypto withdrawals, internal transfers, orders, payment links, deposits.
CREATE TABLE sandbox_movements (
    id TEXT COLLATE "C" PRIMARY KEY,
    kind TEXT COLLATE "C" NOT NULL,
    owner TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    details TEXT COLLATE "C" NOT NULL,                    -- the details answer, JSON
    settle_at TEXT COLLATE "C",                           -- when the clock moves it on; NULL when final or held
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX sandbox_movements_settle ON sandbox_movements (settle_at);

CREATE TABLE sandbox_transactions (
    id TEXT COLLATE "C" PRIMARY KEY,
    owner TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    currency TEXT COLLATE "C" NOT NULL,
    amount TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX sandbox_transactions_owner ON sandbox_transactions (owner, created_at);

-- Injected faults: the next `remaining` calls of `endpoint` get them.
CREATE TABLE sandbox_faults (
    endpoint TEXT COLLATE "C" PRIMARY KEY,
    latency_ms BIGINT NOT NULL,
    http_status BIGINT,
    timeout BOOLEAN NOT NULL,
    p_code TEXT COLLATE "C",
    remaining BIGINT NOT NULL
);

CREATE TABLE sandbox_settings (
    key TEXT COLLATE "C" PRIMARY KEY,
    value TEXT COLLATE "C" NOT NULL
);

-- Webhooks the sandbox owes the app, with P100's retry schedule.
CREATE TABLE sandbox_webhooks (
    id TEXT COLLATE "C" PRIMARY KEY,
    route TEXT COLLATE "C" NOT NULL,
    payload TEXT COLLATE "C" NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at TEXT COLLATE "C",
    delivered_at TEXT COLLATE "C",
    last_status BIGINT,
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX sandbox_webhooks_due ON sandbox_webhooks (next_attempt_at);
