-- plink store, schema 5: hosts and the zones they serve.
--
-- Each `plink serve --zones` registers itself here and writes a heartbeat
-- every second; a zone is claimed by at most one host (zone_claims' key),
-- and a claim whose host stopped heartbeating is impaired until a serve
-- takes it over. Times are milliseconds since the Unix epoch, written by
-- each host's clock (hosts are expected to keep their clocks in sync, as
-- with NTP). Plain, portable SQL: the PostgreSQL backend runs it too.
CREATE TABLE hosts (
    id           TEXT PRIMARY KEY,          -- host-<hex>: one serve process
    name         TEXT NOT NULL,             -- the host's name
    host_addr    TEXT NOT NULL DEFAULT '',  -- the address other hosts reach it by
    addresses    TEXT NOT NULL DEFAULT '',  -- what it serves: API, DNS (comma-separated host:port)
    version      TEXT NOT NULL DEFAULT '',  -- plink version
    pid          INTEGER NOT NULL,
    started_ms   INTEGER NOT NULL,
    heartbeat_ms INTEGER NOT NULL,          -- 0: stopped cleanly
    timeout_ms   INTEGER NOT NULL           -- no heartbeat for this long: failed
);

-- The zones a host serves: one row per zone, so two claims of one zone
-- cannot both commit.
CREATE TABLE zone_claims (
    zone    TEXT PRIMARY KEY,               -- us-east-1a
    host_id TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE
);
CREATE INDEX zone_claims_host ON zone_claims (host_id);
