-- Staff, sign-in throttling and the audit log.
-- Written to run on SQLite and PostgreSQL alike, except the append-only triggers at the end (SQLite syntax).
-- Times are UTC, stored as fixed-width text (YYYY-MM-DDTHH:MM:SS.mmmZ) so they sort and compare as text.

CREATE TABLE staff (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,                      -- lower-cased by the app, so the unique index is case-insensitive
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,              -- argon2id PHC string
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    session_generation BIGINT NOT NULL DEFAULT 0,  -- bumped to end every session of this member at once
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_sign_in_at TEXT
);
CREATE UNIQUE INDEX staff_email_key ON staff (email);

CREATE TABLE staff_roles (
    staff_id TEXT NOT NULL REFERENCES staff (id),
    role TEXT NOT NULL,
    PRIMARY KEY (staff_id, role)
);

-- Failed sign-ins per email (lockout) and per client IP (rate limit).
CREATE TABLE sign_in_throttle (
    scope TEXT NOT NULL,                      -- 'email' or 'ip'
    subject TEXT NOT NULL,
    failures BIGINT NOT NULL,
    window_started_at TEXT NOT NULL,
    locked_until TEXT,
    PRIMARY KEY (scope, subject)
);

-- Append-only and hash-chained: hash = SHA-256(prev_hash + canonical content of the row).
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    staff_id TEXT,
    staff_email TEXT,
    staff_roles TEXT NOT NULL,
    action TEXT NOT NULL,
    target_kind TEXT,
    target_id TEXT,
    outcome TEXT NOT NULL,
    reason TEXT,
    request_id TEXT,
    upstream_request_id TEXT,
    ip TEXT,
    user_agent TEXT,
    before_data TEXT,
    after_data TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_staff ON audit_log (staff_email, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_target ON audit_log (target_id, seq);

-- The chain's head. Every append first updates this single row, which serialises appenders on any
-- database, so two writers can never link to the same predecessor.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
