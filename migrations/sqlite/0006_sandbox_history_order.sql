-- The sandbox's history pages are ordered by (created_at DESC, id DESC): with id in the index the
-- order comes from the index instead of a sort of the owner's whole history on every page.
DROP INDEX sandbox_transactions_owner;
CREATE INDEX sandbox_transactions_owner ON sandbox_transactions (owner, created_at, id);
