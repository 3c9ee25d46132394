-- A search term with a filter (`anna` among verified users) is counted from the term's indexes:
-- these carry the filters' columns, so each match is checked in the index instead of in its row
-- (at 100,000 users, counting `a` among verified users took 27 ms reading rows, 13 ms without;
-- bench/users.sh). The name index keeps its external id second: it also orders the name sort.
-- SQLite only: PostgreSQL answers the term's OR through a bitmap of row addresses and reads each row
-- whatever its indexes carry, so there the wider indexes only cost (at 100,000 users its worst
-- search went from 17.9 to 38.9 ms p95 with them; bench/databases.sh).
DROP INDEX users_name;
DROP INDEX users_last_name;
DROP INDEX users_email;
DROP INDEX users_phone;
DROP INDEX users_external;
DROP INDEX users_p100;
CREATE INDEX users_name ON users (name_key, external_user_id, kyc_state, account_status, country, created_at);
CREATE INDEX users_last_name ON users (last_name_key, kyc_state, account_status, country, created_at);
CREATE INDEX users_email ON users (email_key, kyc_state, account_status, country, created_at);
CREATE INDEX users_phone ON users (phone_key, kyc_state, account_status, country, created_at);
CREATE INDEX users_external ON users (external_key, kyc_state, account_status, country, created_at);
CREATE INDEX users_p100 ON users (p100_key, kyc_state, account_status, country, created_at);
