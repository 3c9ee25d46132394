-- Two-factor sign-in (TOTP, RFC 6238) and its recovery codes.

-- The authenticator secret (base32), set once the member confirmed enrolment with a code.
ALTER TABLE staff ADD COLUMN totp_secret TEXT;
ALTER TABLE staff ADD COLUMN totp_enrolled_at TEXT;
-- The last 30-second step a code was accepted for: a code of that step or an earlier one is never
-- accepted again, whichever instance checks it (the update is conditional on this column).
ALTER TABLE staff ADD COLUMN totp_last_step BIGINT;

-- Ten single-use codes per enrolled member, each stored only as an argon2id hash.
CREATE TABLE staff_recovery_codes (
    staff_id TEXT NOT NULL REFERENCES staff (id),
    code_hash TEXT NOT NULL,
    used_at TEXT,
    PRIMARY KEY (staff_id, code_hash)
);
