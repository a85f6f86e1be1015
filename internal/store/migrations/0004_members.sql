-- plink store, schema 4: members AWS returns that plink did not keep.
--
-- sg_rules gains a source security group (UserIdGroupPairs: a rule that
-- admits traffic from the members of another group) next to the CIDR; a
-- rule has one or the other (cidr '' for a group rule). SQLite cannot
-- change a UNIQUE constraint, so the table is rebuilt, its rows kept in
-- their order.
CREATE TABLE sg_rules_new (
    id           TEXT PRIMARY KEY,     -- sgr-...
    group_id     TEXT NOT NULL REFERENCES security_groups (id) ON DELETE CASCADE,
    protocol     TEXT NOT NULL,        -- tcp | udp | icmp | -1
    from_port    INTEGER NOT NULL,
    to_port      INTEGER NOT NULL,
    cidr         TEXT NOT NULL,        -- '' for a source-group rule
    description  TEXT NOT NULL DEFAULT '',
    source_group TEXT NOT NULL DEFAULT '',  -- sg-... or ''
    source_owner TEXT NOT NULL DEFAULT '',  -- the source group's account
    UNIQUE (group_id, protocol, from_port, to_port, cidr, source_group)
);
INSERT INTO sg_rules_new (id, group_id, protocol, from_port, to_port, cidr, description)
    SELECT id, group_id, protocol, from_port, to_port, cidr, description FROM sg_rules ORDER BY rowid;
DROP TABLE sg_rules;
ALTER TABLE sg_rules_new RENAME TO sg_rules;
CREATE INDEX sg_rules_source ON sg_rules (source_group);

-- The endpoint's policy as the caller gave it; '' is AWS's default
-- full-access policy (the control layer prints its text).
ALTER TABLE endpoints ADD COLUMN policy_document TEXT NOT NULL DEFAULT '';

-- ClientToken idempotency of the create actions: the first call's
-- parameters (a digest) and output, per account, region, action and token.
CREATE TABLE client_tokens (
    account    TEXT NOT NULL,
    region     TEXT NOT NULL,
    action     TEXT NOT NULL,
    token      TEXT NOT NULL,
    params     TEXT NOT NULL,   -- hex SHA-256 of the request without ClientToken and DryRun
    output     TEXT NOT NULL,   -- the JSON output of the first call
    created_at TEXT NOT NULL,
    PRIMARY KEY (account, region, action, token)
);
