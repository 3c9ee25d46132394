-- The users table's revision: every insert, update and delete of a user moves it, in the writer's
-- own transaction. A search's count of matches is kept per revision (server/db/users.rs,
-- `SearchCounts`), so a count read back is the count of the table as it is, on every instance.
CREATE TABLE users_revision (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO users_revision (id, revision) VALUES (1, 0);

CREATE FUNCTION users_revision_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users_revision SET revision = revision + 1 WHERE id = 1;
    RETURN NULL;
END
$$;
-- Once per statement: a bulk insert moves it once.
CREATE TRIGGER users_revision AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION users_revision_bump();
