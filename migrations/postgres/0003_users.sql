-- webhook_events.status gains one value here: 'ignored', for an event about a user the registry
-- does not know (made outside the back office); its error column says which.

-- The user registry: P100 has no endpoint that lists users, so every user the back office creates
-- (and, in sandbox mode, every seeded one) is recorded here and kept in step by answers and webhooks.

CREATE TABLE users (
    external_user_id TEXT COLLATE "C" PRIMARY KEY,        -- our id for the user at P100 (every call uses it)
    p100_user_id TEXT COLLATE "C",                        -- P100's id, once P100 confirmed the creation
    sync_state TEXT COLLATE "C" NOT NULL,                 -- creating, unconfirmed, synced
    request_hash TEXT COLLATE "C",                        -- SHA-256 of the create request, so a repeat is recognised
    -- Personal data, erased when the user is deleted (the row and its history stay).
    first_name TEXT COLLATE "C" NOT NULL,
    last_name TEXT COLLATE "C" NOT NULL,
    email TEXT COLLATE "C" NOT NULL,
    phone TEXT COLLATE "C" NOT NULL,                      -- E.164, with its +
    street TEXT COLLATE "C" NOT NULL,
    house_number TEXT COLLATE "C" NOT NULL,
    city TEXT COLLATE "C" NOT NULL,
    post_code TEXT COLLATE "C" NOT NULL,
    country TEXT COLLATE "C" NOT NULL,                    -- ISO 3166-1 alpha-2, country of residence
    citizenship TEXT COLLATE "C" NOT NULL,
    nationality TEXT COLLATE "C" NOT NULL,
    birth_country TEXT COLLATE "C" NOT NULL,
    birth_date TEXT COLLATE "C" NOT NULL,                 -- YYYY-MM-DD
    id_number TEXT COLLATE "C" NOT NULL,
    -- Search keys, normalised in code (lower case; digits only for the phone), each with its index,
    -- so a prefix search is an index range scan on every database.
    name_key TEXT COLLATE "C" NOT NULL,                   -- "first last"
    last_name_key TEXT COLLATE "C" NOT NULL,
    email_key TEXT COLLATE "C" NOT NULL,
    phone_key TEXT COLLATE "C" NOT NULL,
    external_key TEXT COLLATE "C" NOT NULL,
    p100_key TEXT COLLATE "C" NOT NULL,
    -- Upstream state as P100 reports it, and our one-word summary of the KYC state for filters.
    kyc_state TEXT COLLATE "C" NOT NULL,                  -- not_started, pending, in_review, rejected, verified, expired
    verification_status TEXT COLLATE "C" NOT NULL,
    attempt_status TEXT COLLATE "C",
    rejection_reason TEXT COLLATE "C",
    kyc_method TEXT COLLATE "C",                          -- documents (method A) or hosted (method B)
    poa_status TEXT COLLATE "C",
    account_status TEXT COLLATE "C" NOT NULL,             -- WAITING_FOR_ACTIVATION, ACTIVE, SUSPENDED, DELETED
    created_by TEXT COLLATE "C" REFERENCES staff(id),     -- NULL: imported (the sandbox's seeded users)
    created_at TEXT COLLATE "C" NOT NULL,
    kyc_changed_at TEXT COLLATE "C" NOT NULL,
    changed_at TEXT COLLATE "C" NOT NULL,                 -- last change of any status
    synced_at TEXT COLLATE "C"                            -- last time P100 told us anything about the user
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
    id TEXT COLLATE "C" PRIMARY KEY,
    external_user_id TEXT COLLATE "C" NOT NULL REFERENCES users(external_user_id),
    kind TEXT COLLATE "C" NOT NULL,                       -- created, kyc, account, poa
    status TEXT COLLATE "C" NOT NULL,
    detail TEXT COLLATE "C",
    source TEXT COLLATE "C" NOT NULL,                     -- staff, webhook, refresh, import
    at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX user_events_user ON user_events (external_user_id, at);

-- Notes staff leave on a user. Append-only like the audit log.
CREATE TABLE user_notes (
    id TEXT COLLATE "C" PRIMARY KEY,
    external_user_id TEXT COLLATE "C" NOT NULL REFERENCES users(external_user_id),
    staff_id TEXT COLLATE "C" NOT NULL REFERENCES staff(id),
    body TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX user_notes_user ON user_notes (external_user_id, created_at);
