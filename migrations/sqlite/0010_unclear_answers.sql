-- P100's answers that do not say whether money moved (P500/P501 on HTTP 400, 5xx, a timeout, an
-- unreadable 2xx) leave a movement or exchange 'unknown' until it is found at P100. When the machine
-- cannot decide (two candidates, or still unknown past the deadline) a person must: `decision` says
-- why, `candidates` lists the P100 ids that fit (JSON array), NULL while no one needs to look.
ALTER TABLE movements ADD COLUMN decision TEXT;
ALTER TABLE movements ADD COLUMN candidates TEXT;
ALTER TABLE exchanges ADD COLUMN decision TEXT;
ALTER TABLE exchanges ADD COLUMN candidates TEXT;

-- The sandbox's faults learn those answers: whether the request takes effect before the faulty
-- answer (NULL: a timeout lets a money movement happen, a code or status answers before anything
-- happens; 1: applied; 0: not applied), a 2xx whose body lacks the documented fields, and a
-- connection dropped in the middle of the answer.
ALTER TABLE sandbox_faults ADD COLUMN applied BIGINT;
ALTER TABLE sandbox_faults ADD COLUMN malformed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sandbox_faults ADD COLUMN reset BIGINT NOT NULL DEFAULT 0;

-- "Never started here" reads every known user's history too: whose history showed the entry
-- (NULL: the partner's).
ALTER TABLE reconciliation_foreign ADD COLUMN holder TEXT;
