package store

import (
	"net/netip"
)

// VPCCIDRBlock is a row of vpc_cidr_blocks: a secondary IPv4 block of a VPC.
type VPCCIDRBlock struct {
	AssociationID, VPCID string
	CIDR                 netip.Prefix
	CreatedAt            string
}

// InsertVPCCIDRBlock adds a secondary IPv4 block to a VPC.
func (t *Tx) InsertVPCCIDRBlock(b VPCCIDRBlock) error {
	lo, hi := rangeKey(b.CIDR)
	_, err := t.exec(`INSERT INTO vpc_cidr_blocks (association_id, vpc_id, cidr, cidr_lo, cidr_hi, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		b.AssociationID, b.VPCID, b.CIDR.String(), lo, hi, b.CreatedAt)
	return err
}

// VPCCIDRBlocks lists the secondary IPv4 blocks of the VPCs named, or of
// every VPC when vpcIDs is empty, in the order they were associated.
func (t *Tx) VPCCIDRBlocks(vpcIDs []string) ([]VPCCIDRBlock, error) {
	q, args := inList(`SELECT association_id, vpc_id, cidr, created_at FROM vpc_cidr_blocks WHERE 1 = 1`, "vpc_id", vpcIDs, nil)
	return t.vpcCIDRBlocks(q+` ORDER BY created_at, association_id`, args...)
}

// VPCCIDRBlock returns one secondary block by association ID.
func (t *Tx) VPCCIDRBlock(associationID string) (VPCCIDRBlock, error) {
	return first(t.vpcCIDRBlocks(`SELECT association_id, vpc_id, cidr, created_at FROM vpc_cidr_blocks WHERE association_id = ?`, associationID))
}

func (t *Tx) vpcCIDRBlocks(q string, args ...any) ([]VPCCIDRBlock, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []VPCCIDRBlock
	for rows.Next() {
		var b VPCCIDRBlock
		var cidr string
		if err := rows.Scan(&b.AssociationID, &b.VPCID, &cidr, &b.CreatedAt); err != nil {
			return nil, err
		}
		b.CIDR = parsePrefix(cidr)
		out = append(out, b)
	}
	return out, rows.Err()
}

// DeleteVPCCIDRBlock removes a secondary block.
func (t *Tx) DeleteVPCCIDRBlock(associationID string) error {
	_, err := t.exec(`DELETE FROM vpc_cidr_blocks WHERE association_id = ?`, associationID)
	return err
}

// SetVPCIPv6CIDR gives a VPC its IPv6 block, or takes it away (p invalid).
func (t *Tx) SetVPCIPv6CIDR(vpcID string, p netip.Prefix) error {
	_, err := t.exec(`UPDATE vpcs SET ipv6_cidr = ? WHERE id = ?`, prefixString(p), vpcID)
	return err
}

// SetSubnetIPv6CIDR gives a subnet its IPv6 block, or takes it away (p invalid).
func (t *Tx) SetSubnetIPv6CIDR(subnetID string, p netip.Prefix) error {
	_, err := t.exec(`UPDATE subnets SET ipv6_cidr = ? WHERE id = ?`, prefixString(p), subnetID)
	return err
}

// SetVPCDNSAttributes writes a VPC's enableDnsSupport and enableDnsHostnames.
func (t *Tx) SetVPCDNSAttributes(vpcID string, support, hostnames bool) error {
	_, err := t.exec(`UPDATE vpcs SET enable_dns_support = ?, enable_dns_hostnames = ? WHERE id = ?`, b2i(support), b2i(hostnames), vpcID)
	return err
}

// AddressInUse names the owner (an ENI or a load balancer) of an address of
// the subnet inside p, or "".
func (t *Tx) AddressInUse(subnetID string, p netip.Prefix) (string, error) {
	rows, err := t.query(`SELECT addr, owner_id FROM addresses WHERE subnet_id = ?`, subnetID)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var addr, owner string
		if err := rows.Scan(&addr, &owner); err != nil {
			return "", err
		}
		if a, err := netip.ParseAddr(addr); err == nil && p.Contains(a) {
			return owner, nil
		}
	}
	return "", rows.Err()
}

// UpdateENIAddresses writes an ENI's addresses; an address it no longer
// has is freed (the caller allocated any new one).
func (t *Tx) UpdateENIAddresses(n ENI) error {
	ep := n.EndpointID
	if ep == "" {
		ep = t.eniEndpoint(n.ID)
	}
	defer t.forEndpoint(ep)()
	if _, err := t.exec(`DELETE FROM addresses WHERE owner_id = ? AND addr NOT IN (?, ?)`, n.ID, addrString(n.IPv4), addrString(n.IPv6)); err != nil {
		return err
	}
	_, err := t.exec(`UPDATE enis SET ipv4 = ?, ipv6 = ? WHERE id = ?`, addrString(n.IPv4), addrString(n.IPv6), n.ID)
	return err
}

// SetLoadBalancerNodes replaces a load balancer's IP address type and
// nodes. Node addresses the new nodes no longer hold are freed (the caller
// allocated any new one).
func (t *Tx) SetLoadBalancerNodes(arn, ipAddressType string, nodes []LBNode) error {
	if _, err := t.exec(`UPDATE load_balancers SET ip_address_type = ? WHERE arn = ?`, ipAddressType, arn); err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM lb_nodes WHERE lb_arn = ?`, arn); err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, n := range nodes {
		if _, err := t.exec(`INSERT INTO lb_nodes (lb_arn, subnet_id, zone, ipv4, ipv6) VALUES (?, ?, ?, ?, ?)`,
			arn, n.SubnetID, n.Zone, addrString(n.IPv4), addrString(n.IPv6)); err != nil {
			return err
		}
		keep[addrString(n.IPv4)], keep[addrString(n.IPv6)] = true, true
	}
	held, err := t.strings(`SELECT addr FROM addresses WHERE owner_id = ?`, arn)
	if err != nil {
		return err
	}
	for _, a := range held {
		if !keep[a] {
			if _, err := t.exec(`DELETE FROM addresses WHERE addr = ? AND owner_id = ?`, a, arn); err != nil {
				return err
			}
		}
	}
	return nil
}

// OwnedTag is one tag of a resource an account owns, for ec2 describe-tags.
type OwnedTag struct {
	ResourceID, Key, Value string
}

// EC2Tags lists the tags of every EC2 resource of an account in a region
// (VPCs, subnets, security groups, endpoints, endpoint services, network
// interfaces), ordered by resource ID and key.
func (t *Tx) EC2Tags(account, region string) ([]OwnedTag, error) {
	rows, err := t.query(`SELECT resource_id, key, value FROM tags WHERE resource_id IN (
		SELECT id FROM vpcs WHERE account = ?1 AND region = ?2
		UNION ALL SELECT id FROM subnets WHERE account = ?1 AND region = ?2
		UNION ALL SELECT id FROM security_groups WHERE account = ?1 AND region = ?2
		UNION ALL SELECT id FROM endpoints WHERE account = ?1 AND region = ?2
		UNION ALL SELECT id FROM services WHERE account = ?1 AND region = ?2
		UNION ALL SELECT id FROM enis WHERE account = ?1 AND region = ?2)
		ORDER BY resource_id, key`, account, region)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OwnedTag
	for rows.Next() {
		var tg OwnedTag
		if err := rows.Scan(&tg.ResourceID, &tg.Key, &tg.Value); err != nil {
			return nil, err
		}
		out = append(out, tg)
	}
	return out, rows.Err()
}

// ENI returns one network interface by ID, whoever owns it.
func (t *Tx) ENI(id string) (ENI, error) {
	return first(t.enis(`SELECT id, endpoint_id, subnet_id, account, region, zone, ipv4, ipv6, created_at FROM enis WHERE id = ?`, id))
}
