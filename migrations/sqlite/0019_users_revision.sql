-- The users table's revision: every insert, update and delete of a user moves it, in the writer's
-- own transaction. A search's count of matches is kept per revision (server/db/users.rs,
-- `SearchCounts`), so a count read back is the count of the table as it is, on every instance.
CREATE TABLE users_revision (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO users_revision (id, revision) VALUES (1, 0);

CREATE TRIGGER users_revision_insert AFTER INSERT ON users
BEGIN
    UPDATE users_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER users_revision_update AFTER UPDATE ON users
BEGIN
    UPDATE users_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER users_revision_delete AFTER DELETE ON users
BEGIN
    UPDATE users_revision SET revision = revision + 1 WHERE id = 1;
END;
