-- plink store, schema 1. Timestamps are RFC 3339 text in UTC with
-- milliseconds; booleans are 0/1; addresses and CIDRs are text in canonical
-- form (netip's String).

CREATE TABLE revision (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    rev INTEGER NOT NULL
);
INSERT INTO revision (id, rev) VALUES (1, 0);

CREATE TABLE vpcs (
    id          TEXT PRIMARY KEY,
    account     TEXT NOT NULL,
    region      TEXT NOT NULL,
    cidr        TEXT NOT NULL,
    cidr_lo     BLOB NOT NULL,  -- 16-byte first address, for overlap checks
    cidr_hi     BLOB NOT NULL,  -- 16-byte last address
    ipv6_cidr   TEXT NOT NULL DEFAULT '',
    is_default  INTEGER NOT NULL DEFAULT 0,
    state       TEXT NOT NULL DEFAULT 'available',
    created_at  TEXT NOT NULL
);
CREATE INDEX vpcs_owner ON vpcs (account, region);
CREATE INDEX vpcs_range ON vpcs (cidr_lo, cidr_hi);

CREATE TABLE subnets (
    id           TEXT PRIMARY KEY,
    vpc_id       TEXT NOT NULL REFERENCES vpcs (id),
    account      TEXT NOT NULL,
    region       TEXT NOT NULL,
    zone         TEXT NOT NULL,
    cidr         TEXT NOT NULL DEFAULT '',
    ipv6_cidr    TEXT NOT NULL DEFAULT '',
    ipv6_native  INTEGER NOT NULL DEFAULT 0,
    is_default   INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL
);
CREATE INDEX subnets_vpc ON subnets (vpc_id);
CREATE INDEX subnets_owner ON subnets (account, region);

-- Every allocated address, so no two ENIs or nodes share one.
CREATE TABLE addresses (
    addr       TEXT PRIMARY KEY,
    subnet_id  TEXT NOT NULL REFERENCES subnets (id),
    owner_id   TEXT NOT NULL    -- eni-... or the load balancer ARN
);
CREATE INDEX addresses_subnet ON addresses (subnet_id);
CREATE INDEX addresses_owner ON addresses (owner_id);

CREATE TABLE security_groups (
    id          TEXT PRIMARY KEY,
    vpc_id      TEXT NOT NULL REFERENCES vpcs (id),
    account     TEXT NOT NULL,
    region      TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (vpc_id, name)
);
CREATE INDEX security_groups_owner ON security_groups (account, region);

CREATE TABLE sg_rules (
    id         TEXT PRIMARY KEY,     -- sgr-...
    group_id   TEXT NOT NULL REFERENCES security_groups (id) ON DELETE CASCADE,
    protocol   TEXT NOT NULL,        -- tcp | udp | icmp | -1
    from_port  INTEGER NOT NULL,
    to_port    INTEGER NOT NULL,
    cidr       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    UNIQUE (group_id, protocol, from_port, to_port, cidr)
);

CREATE TABLE load_balancers (
    arn             TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    account         TEXT NOT NULL,
    region          TEXT NOT NULL,
    vpc_id          TEXT NOT NULL REFERENCES vpcs (id),
    scheme          TEXT NOT NULL,
    ip_address_type TEXT NOT NULL,
    dns_name        TEXT NOT NULL,
    cross_zone      INTEGER NOT NULL DEFAULT 0,
    deletion_protection INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL DEFAULT 'active',
    created_at      TEXT NOT NULL,
    UNIQUE (account, region, name)
);

CREATE TABLE lb_nodes (
    lb_arn     TEXT NOT NULL REFERENCES load_balancers (arn) ON DELETE CASCADE,
    subnet_id  TEXT NOT NULL REFERENCES subnets (id),
    zone       TEXT NOT NULL,
    ipv4       TEXT NOT NULL DEFAULT '',
    ipv6       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (lb_arn, subnet_id)
);
CREATE INDEX lb_nodes_subnet ON lb_nodes (subnet_id);

CREATE TABLE target_groups (
    arn                 TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    account             TEXT NOT NULL,
    region              TEXT NOT NULL,
    vpc_id              TEXT NOT NULL REFERENCES vpcs (id),
    protocol            TEXT NOT NULL,
    port                INTEGER NOT NULL,
    target_type         TEXT NOT NULL,
    ip_address_type     TEXT NOT NULL DEFAULT 'ipv4',
    hc_enabled          INTEGER NOT NULL DEFAULT 1,
    hc_protocol         TEXT NOT NULL,
    hc_port             TEXT NOT NULL,
    hc_path             TEXT NOT NULL DEFAULT '',
    hc_interval         INTEGER NOT NULL,
    hc_timeout          INTEGER NOT NULL,
    healthy_threshold   INTEGER NOT NULL,
    unhealthy_threshold INTEGER NOT NULL,
    matcher             TEXT NOT NULL DEFAULT '',
    created_at          TEXT NOT NULL,
    UNIQUE (account, region, name)
);

-- Attributes of load balancers, target groups and listeners, by key, with
-- only values that differ from the defaults stored.
CREATE TABLE attributes (
    resource_arn TEXT NOT NULL,
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (resource_arn, key)
);

CREATE TABLE targets (
    tg_arn          TEXT NOT NULL REFERENCES target_groups (arn) ON DELETE CASCADE,
    ip              TEXT NOT NULL,
    port            INTEGER NOT NULL,
    zone            TEXT NOT NULL DEFAULT '',   -- '' = derived from the VPC subnet, or 'all'
    registered_at   TEXT NOT NULL,
    deregistered_at TEXT NOT NULL DEFAULT '',   -- set while draining
    PRIMARY KEY (tg_arn, ip, port)
);

-- Health as plink serve last observed it; not part of the revision.
CREATE TABLE target_health (
    tg_arn      TEXT NOT NULL,
    ip          TEXT NOT NULL,
    port        INTEGER NOT NULL,
    state       TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tg_arn, ip, port)
);

CREATE TABLE listeners (
    arn        TEXT PRIMARY KEY,
    lb_arn     TEXT NOT NULL REFERENCES load_balancers (arn),
    protocol   TEXT NOT NULL,
    port       INTEGER NOT NULL,
    tg_arn     TEXT NOT NULL REFERENCES target_groups (arn),
    created_at TEXT NOT NULL,
    UNIQUE (lb_arn, port)
);
CREATE INDEX listeners_tg ON listeners (tg_arn);

CREATE TABLE services (
    id                   TEXT PRIMARY KEY,
    account              TEXT NOT NULL,
    region               TEXT NOT NULL,
    state                TEXT NOT NULL,
    acceptance_required  INTEGER NOT NULL,
    supported_ipv4       INTEGER NOT NULL DEFAULT 1,
    supported_ipv6       INTEGER NOT NULL DEFAULT 0,
    private_dns_name     TEXT NOT NULL DEFAULT '',
    pdns_state           TEXT NOT NULL DEFAULT '',
    pdns_name            TEXT NOT NULL DEFAULT '',
    pdns_value           TEXT NOT NULL DEFAULT '',
    created_at           TEXT NOT NULL
);
CREATE INDEX services_owner ON services (account, region);
CREATE INDEX services_pdns ON services (private_dns_name);

CREATE TABLE service_lbs (
    service_id TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    lb_arn     TEXT NOT NULL REFERENCES load_balancers (arn),
    PRIMARY KEY (service_id, lb_arn)
);
CREATE INDEX service_lbs_lb ON service_lbs (lb_arn);

CREATE TABLE service_permissions (
    service_id TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    principal  TEXT NOT NULL,   -- an ARN, or '*'
    created_at TEXT NOT NULL,
    PRIMARY KEY (service_id, principal)
);
CREATE INDEX service_permissions_principal ON service_permissions (principal);

CREATE TABLE endpoints (
    id                  TEXT PRIMARY KEY,
    account             TEXT NOT NULL,
    region              TEXT NOT NULL,
    vpc_id              TEXT NOT NULL REFERENCES vpcs (id),
    service_id          TEXT NOT NULL,   -- no FK: rejected endpoints outlive their service
    service_name        TEXT NOT NULL,
    state               TEXT NOT NULL,
    ip_address_type     TEXT NOT NULL,
    dns_record_ip_type  TEXT NOT NULL,
    private_dns_enabled INTEGER NOT NULL DEFAULT 0,
    dns_suffix          TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX endpoints_owner ON endpoints (account, region, state);
CREATE INDEX endpoints_service ON endpoints (service_id, state);
CREATE INDEX endpoints_vpc ON endpoints (vpc_id);

CREATE TABLE enis (
    id          TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
    subnet_id   TEXT NOT NULL REFERENCES subnets (id),
    account     TEXT NOT NULL,
    region      TEXT NOT NULL,
    zone        TEXT NOT NULL,
    ipv4        TEXT NOT NULL DEFAULT '',
    ipv6        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);
CREATE INDEX enis_endpoint ON enis (endpoint_id);
CREATE INDEX enis_subnet ON enis (subnet_id);
CREATE INDEX enis_owner ON enis (account, region);

CREATE TABLE endpoint_groups (
    endpoint_id TEXT NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
    group_id    TEXT NOT NULL REFERENCES security_groups (id),
    PRIMARY KEY (endpoint_id, group_id)
);
CREATE INDEX endpoint_groups_group ON endpoint_groups (group_id);

CREATE TABLE notifications (
    id          TEXT PRIMARY KEY,   -- vpce-nfn-...
    account     TEXT NOT NULL,
    region      TEXT NOT NULL,
    service_id  TEXT NOT NULL DEFAULT '',
    endpoint_id TEXT NOT NULL DEFAULT '',
    arn         TEXT NOT NULL,      -- arn:aws:sns:..., http(s)://..., file://...
    events      TEXT NOT NULL,      -- comma-separated Connect,Accept,Reject,Delete
    state       TEXT NOT NULL DEFAULT 'Enabled',
    created_at  TEXT NOT NULL
);
CREATE INDEX notifications_service ON notifications (service_id);
CREATE INDEX notifications_endpoint ON notifications (endpoint_id);

-- Every state change, for `plink events` and SNS-style notifications.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    time        TEXT NOT NULL,
    account     TEXT NOT NULL,     -- who caused it
    type        TEXT NOT NULL,     -- e.g. VpcEndpointConnection.Accept
    resource_id TEXT NOT NULL,
    service_id  TEXT NOT NULL DEFAULT '',
    endpoint_id TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL DEFAULT '',
    notification_id TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE tags (
    resource_id TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (resource_id, key)
);
