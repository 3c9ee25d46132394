-- webhook_events.status gains one value here: 'ignored', for an event about a user the registry
-- does not know (made outside the back office); its error column says which.

-- The user registry: P100 has no endpoint that lists users, so every user the back office creates
-- (and, in sandbox mode, every seeded one) is recorded here and kept in step by answers and webhooks.

CREATE TABLE users (
    external_user_id TEXT PRIMARY KEY,        -- our id for the user at P100 (every call uses it)
    p100_user_id TEXT,                        -- P100's id, once P100 confirmed the creation
    sync_state TEXT NOT NULL,                 -- creating, unconfirmed, synced
    request_hash TEXT,                        -- SHA-256 of the create request, so a repeat is recognised
    -- Personal data, erased when the user is deleted (the row and its history stay).
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,                      -- E.164, with its +
    street TEXT NOT NULL,
    house_number TEXT NOT NULL,
    city TEXT NOT NULL,
    post_code TEXT NOT NULL,
    country TEXT NOT NULL,                    -- ISO 3166-1 alpha-2, country of residence
    citizenship TEXT NOT NULL,
    nationality TEXT NOT NULL,
    birth_country TEXT NOT NULL,
    birth_date TEXT NOT NULL,                 -- YYYY-MM-DD
    id_number TEXT NOT NULL,
    -- Search keys, normalised in code (lower case; digits only for the phone), each with its index,
    -- so a prefix search is an index range scan on every database.
    name_key TEXT NOT NULL,                   -- "first last"
    last_name_key TEXT NOT NULL,
    email_key TEXT NOT NULL,
    phone_key TEXT NOT NULL,
    external_key TEXT NOT NULL,
    p100_key TEXT NOT NULL,
    -- Upstream state as P100 reports it, and our one-word summary of the KYC state for filters.
    kyc_state TEXT NOT NULL,                  -- not_started, pending, in_review, rejected, verified, expired
    verification_status TEXT NOT NULL,
    attempt_status TEXT,
    rejection_reason TEXT,
    kyc_method TEXT,                          -- documents (method A) or hosted (method B)
    poa_status TEXT,
    account_status TEXT NOT NULL,             -- WAITING_FOR_ACTIVATION, ACTIVE, SUSPENDED, DELETED
    created_by TEXT REFERENCES staff(id),     -- NULL: imported (the sandbox's seeded users)
    created_at TEXT NOT NULL,
    kyc_changed_at TEXT NOT NULL,
    changed_at TEXT NOT NULL,                 -- last change of any status
    synced_at TEXT                            -- last time P100 told us anything about the user
);
CREATE INDEX users_created ON users (created_at, external_user_id);
CREATE INDEX users_changed ON users (changed_at, external_user_id);
CREATE INDEX users_name ON users (name_key, external_user_id);
CREATE INDEX users_last_name ON users (last_name_key);
CREATE INDEX users_email ON users (email_key);
CREATE INDEX users_phone ON users (phone_key);
CREATE INDEX users_external ON users (external_key);
CREATE INDEX users_p100 ON users (p100_key);
CREATE INDEX users_country ON users (country, created_at);
CREATE INDEX users_kyc ON users (kyc_state, created_at);
CREATE INDEX users_account ON users (account_status, created_at);
-- The KYC queue: users whose verification is not final, oldest first.
CREATE INDEX users_kyc_open ON users (created_at) WHERE kyc_state <> 'verified' AND account_status <> 'DELETED';

-- What happened to a user, newest last: KYC steps, account status changes, proof of address.
CREATE TABLE user_events (
    id TEXT PRIMARY KEY,
    external_user_id TEXT NOT NULL REFERENCES users(external_user_id),
    kind TEXT NOT NULL,                       -- created, kyc, account, poa
    status TEXT NOT NULL,
    detail TEXT,
    source TEXT NOT NULL,                     -- staff, webhook, refresh, import
    at TEXT NOT NULL
);
CREATE INDEX user_events_user ON user_events (external_user_id, at);

-- Notes staff leave on a user. Append-only like the audit log.
CREATE TABLE user_notes (
    id TEXT PRIMARY KEY,
    external_user_id TEXT NOT NULL REFERENCES users(external_user_id),
    staff_id TEXT NOT NULL REFERENCES staff(id),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX user_notes_user ON user_notes (external_user_id, created_at);
