-- The mode this database was created in and, when live, the P100 it belongs to. A start in the
-- other mode, or live against another P100, is refused: demo accounts never meet real money, and
-- one partner's records never meet another P100 environment.
CREATE TABLE deployment (
    id BIGINT PRIMARY KEY,                    -- always 1
    mode TEXT NOT NULL,                       -- sandbox, live
    p100_base_url TEXT,                       -- live only
    created_at TEXT NOT NULL
);
