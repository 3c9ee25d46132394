-- The users page at scale: every pair of filters staff combine, and every sort, read from an index
-- in the page's order (bench/users.sh measures each).

-- Two filters together, newest first (a date range reads the same indexes).
CREATE INDEX users_kyc_account ON users (kyc_state, account_status, created_at);
CREATE INDEX users_country_kyc ON users (country, kyc_state, created_at);
CREATE INDEX users_country_account ON users (country, account_status, created_at);
-- Sorting by a column keys its pages by (value, external id): these indexes give that order, so a
-- page is read, not sorted out of every row.
CREATE INDEX users_by_country ON users (country, external_user_id);
CREATE INDEX users_by_kyc ON users (kyc_state, external_user_id);
CREATE INDEX users_by_account ON users (account_status, external_user_id);
