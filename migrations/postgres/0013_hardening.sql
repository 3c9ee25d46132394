-- The audit log is append-only: TRUNCATE, which fires no row trigger, is refused as well.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Sign-in attempts refused while a lockout holds are counted here; only the first is audited, so
-- a locked-out address cannot flood the append-only log.
ALTER TABLE sign_in_throttle ADD COLUMN refused BIGINT NOT NULL DEFAULT 0;
