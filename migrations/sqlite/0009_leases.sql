-- Work that one app instance at a time should do, when several share the database: a background
-- round that reads P100 at a bounded rate, or resuming one approved payout. The instance holding a
-- lease until `expires_at` does it; another may take it over once it lapses.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,                     -- the app instance (a random id per start)
    expires_at TEXT NOT NULL
);
