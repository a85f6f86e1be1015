-- plink store, schema 3: VPC DNS attributes, secondary IPv4 blocks of a
-- VPC, and the payer responsibility of an endpoint service.
--
-- enableDnsSupport and enableDnsHostnames are AWS's defaults: both true for
-- a default VPC, support true and hostnames false for any other. A VPC in
-- which an endpoint already has private DNS enabled keeps it working: its
-- hostnames attribute is set too (AWS requires both for private DNS).

ALTER TABLE vpcs ADD COLUMN enable_dns_support INTEGER NOT NULL DEFAULT 1;
ALTER TABLE vpcs ADD COLUMN enable_dns_hostnames INTEGER NOT NULL DEFAULT 0;
UPDATE vpcs SET enable_dns_hostnames = 1
    WHERE is_default = 1 OR id IN (SELECT vpc_id FROM endpoints WHERE private_dns_enabled = 1);

-- Secondary IPv4 blocks (AssociateVpcCidrBlock). The primary block stays
-- in vpcs.cidr; like it, a secondary block must not overlap any block of
-- any VPC in the store (every address is a real address on one host).
CREATE TABLE vpc_cidr_blocks (
    association_id TEXT PRIMARY KEY,   -- vpc-cidr-assoc-...
    vpc_id         TEXT NOT NULL REFERENCES vpcs (id) ON DELETE CASCADE,
    cidr           TEXT NOT NULL,
    cidr_lo        BLOB NOT NULL,      -- 16-byte first address, for overlap checks
    cidr_hi        BLOB NOT NULL,      -- 16-byte last address
    created_at     TEXT NOT NULL
);
CREATE INDEX vpc_cidr_blocks_vpc ON vpc_cidr_blocks (vpc_id);
CREATE INDEX vpc_cidr_blocks_range ON vpc_cidr_blocks (cidr_lo, cidr_hi);

-- ServiceOwner once ModifyVpcEndpointServicePayerResponsibility set it.
ALTER TABLE services ADD COLUMN payer_responsibility TEXT NOT NULL DEFAULT '';
