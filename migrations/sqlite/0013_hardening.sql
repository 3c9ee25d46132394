-- SQLite has no TRUNCATE: a DELETE of every row fires audit_log_no_delete for each.

-- Sign-in attempts refused while a lockout holds are counted here; only the first is audited, so
-- a locked-out address cannot flood the append-only log.
ALTER TABLE sign_in_throttle ADD COLUMN refused BIGINT NOT NULL DEFAULT 0;
