-- Staff, sign-in throttling and the audit log.
-- PostgreSQL's copy of migrations/sqlite: the same tables, columns and indexes (a test compares the two
-- schemas). Text compares byte by byte (COLLATE "C", as SQLite does), so prefix ranges and times
-- stored as text order the same on both. Times are UTC, stored as fixed-width text (YYYY-MM-DDTHH:MM:SS.mmmZ) so they sort and compare as text.

CREATE TABLE staff (
    id TEXT COLLATE "C" PRIMARY KEY,
    email TEXT COLLATE "C" NOT NULL,                      -- lower-cased by the app, so the unique index is case-insensitive
    name TEXT COLLATE "C" NOT NULL,
    password_hash TEXT COLLATE "C" NOT NULL,              -- argon2id PHC string
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    session_generation BIGINT NOT NULL DEFAULT 0,  -- bumped to end every session of this member at once
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    last_sign_in_at TEXT COLLATE "C"
);
CREATE UNIQUE INDEX staff_email_key ON staff (email);

CREATE TABLE staff_roles (
    staff_id TEXT COLLATE "C" NOT NULL REFERENCES staff (id),
    role TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (staff_id, role)
);

-- Failed sign-ins per email (lockout) and per client IP (rate limit).
CREATE TABLE sign_in_throttle (
    scope TEXT COLLATE "C" NOT NULL,                      -- 'email' or 'ip'
    subject TEXT COLLATE "C" NOT NULL,
    failures BIGINT NOT NULL,
    window_started_at TEXT COLLATE "C" NOT NULL,
    locked_until TEXT COLLATE "C",
    PRIMARY KEY (scope, subject)
);

-- Append-only and hash-chained: hash = SHA-256(prev_hash + canonical content of the row).
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TEXT COLLATE "C" NOT NULL,
    staff_id TEXT COLLATE "C",
    staff_email TEXT COLLATE "C",
    staff_roles TEXT COLLATE "C" NOT NULL,
    action TEXT COLLATE "C" NOT NULL,
    target_kind TEXT COLLATE "C",
    target_id TEXT COLLATE "C",
    outcome TEXT COLLATE "C" NOT NULL,
    reason TEXT COLLATE "C",
    request_id TEXT COLLATE "C",
    upstream_request_id TEXT COLLATE "C",
    ip TEXT COLLATE "C",
    user_agent TEXT COLLATE "C",
    before_data TEXT COLLATE "C",
    after_data TEXT COLLATE "C",
    prev_hash TEXT COLLATE "C" NOT NULL,
    hash TEXT COLLATE "C" NOT NULL
);
CREATE INDEX audit_log_staff ON audit_log (staff_email, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_target ON audit_log (target_id, seq);

-- The chain's head. Every append first updates this single row, which serialises appenders on any
-- database, so two writers can never link to the same predecessor.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT COLLATE "C" NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
