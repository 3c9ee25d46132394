-- Four-eyes approvals: a guarded action (deleting a user; later, large payouts) waits here with the
-- exact payload it will run and that payload's SHA-256. The checker approves the hash they saw;
-- execution re-computes it from the stored payload and refuses on any difference.

CREATE TABLE approvals (
    id TEXT COLLATE "C" PRIMARY KEY,
    action TEXT COLLATE "C" NOT NULL,                     -- users.delete, ...
    target_kind TEXT COLLATE "C" NOT NULL,                -- user, ...
    target_id TEXT COLLATE "C" NOT NULL,
    payload TEXT COLLATE "C" NOT NULL,                    -- JSON: {"upstream": the call, "review": what the checker sees}
    payload_hash TEXT COLLATE "C" NOT NULL,               -- hex SHA-256 of payload, as stored
    reason TEXT COLLATE "C" NOT NULL,                     -- the maker's why
    maker_id TEXT COLLATE "C" NOT NULL REFERENCES staff(id),
    status TEXT COLLATE "C" NOT NULL,                     -- pending, approved, executed, failed, rejected, expired, withdrawn
    created_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL,
    checker_id TEXT COLLATE "C" REFERENCES staff(id),     -- who approved or rejected
    approved_hash TEXT COLLATE "C",                       -- the hash the checker approved
    decided_at TEXT COLLATE "C",
    decision_reason TEXT COLLATE "C",
    finished_at TEXT COLLATE "C",                         -- executed, failed, expired or withdrawn
    failure TEXT COLLATE "C"
);
-- At most one open request per action and target: the database refuses a second one even when two
-- makers click at the same moment.
CREATE UNIQUE INDEX approvals_one_open ON approvals (action, target_kind, target_id)
    WHERE status IN ('pending', 'approved');
CREATE INDEX approvals_status ON approvals (status, created_at);
CREATE INDEX approvals_target ON approvals (target_kind, target_id, created_at);
