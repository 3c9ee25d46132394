-- A redelivery is the same route and body within P100's retry schedule (a few minutes); the same
-- body later is a new event (ACTIVE -> SUSPENDED -> ACTIVE, a document REJECTED twice). So the
-- content hash no longer identifies an event on its own: it is looked up with the time.
DROP INDEX webhook_events_dedup;
CREATE INDEX webhook_events_dedup ON webhook_events (dedup_key, received_at);

-- The worker takes 'received' events in order, retries with backoff, and claims each while it
-- applies it (next_attempt_at in the future), so a crash loses nothing and nothing runs twice.
ALTER TABLE webhook_events ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE webhook_events ADD COLUMN next_attempt_at TEXT COLLATE "C";
CREATE INDEX webhook_events_due ON webhook_events (status, next_attempt_at, received_at);

-- Deliveries without our token are not stored: a count per source address and minute.
CREATE TABLE webhook_refusals (
    source TEXT COLLATE "C" NOT NULL,
    minute TEXT COLLATE "C" NOT NULL,
    refused BIGINT NOT NULL,
    PRIMARY KEY (source, minute)
);
