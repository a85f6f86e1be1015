package topology

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/plink-dev/plink/internal/names"
)

// Kinds of resources, in the order apply creates them: each refers only to
// kinds before it, so delete goes in the reverse order.
const (
	KindVPC           = "vpc"
	KindSubnet        = "subnet"
	KindSecurityGroup = "security-group"
	KindTargetGroup   = "target-group"
	KindLoadBalancer  = "load-balancer"
	KindListener      = "listener"
	KindService       = "service"
	KindEndpoint      = "endpoint"
)

var kindOrder = []string{KindVPC, KindSubnet, KindSecurityGroup, KindTargetGroup, KindLoadBalancer, KindListener, KindService, KindEndpoint}

// node is one resource of the file, with what it refers to.
type node struct {
	kind string
	acct *Account
	name string // for a listener: "<load balancer>:<port>"
	topo string // the source tag
	d    *doc
	path string

	vpc    *VPC
	subnet *Subnet
	sg     *SecurityGroup
	tg     *TargetGroup
	lb     *LoadBalancer
	ln     *Listener
	svc    *Service
	ep     *Endpoint

	parent  *node   // a subnet's VPC, a listener's load balancer
	refs    []*node // everything it refers to
	vpcRef  *node
	subnets []*node
	sgs     []*node
	tgRef   *node
	lbs     []*node
	svcRef  *node    // nil for a service outside the file
	princ   []string // a service's allowed principals, as ARNs

	id        string            // the AWS ID (ARN for load balancers, target groups, listeners); "" while it does not exist
	have      map[string]string // what the store holds, as fields compares it
	replacing bool              // to be deleted and created again
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$`)

// checker builds the nodes of a topology and reports the first mistake.
type checker struct {
	accounts []*Account
	byName   map[string]*Account
	nodes    []*node
	index    map[string]*node // kind/account/name
}

func key(kind, account, name string) string { return kind + "/" + account + "/" + name }

func check(docs []*doc, files []*File) (*Topology, error) {
	c := &checker{byName: map[string]*Account{}, index: map[string]*node{}}
	region, err := c.accountsAndRegion(docs, files)
	if err != nil {
		return nil, err
	}
	for fi, f := range files {
		for i := range f.Accounts {
			if err := c.declare(docs[fi], &f.Accounts[i]); err != nil {
				return nil, err
			}
		}
	}
	for _, n := range c.nodes {
		if err := c.resolve(n); err != nil {
			return nil, err
		}
	}
	for _, n := range c.nodes {
		if n.kind == KindEndpoint && n.svcRef != nil && n.svcRef.acct != n.acct {
			if err := allowed(n, n.svcRef); err != nil {
				return nil, err
			}
		}
	}
	sort.SliceStable(c.nodes, func(i, j int) bool {
		return slices.Index(kindOrder, c.nodes[i].kind) < slices.Index(kindOrder, c.nodes[j].kind)
	})
	var sources []string
	for _, d := range docs {
		if !slices.Contains(sources, d.topo) {
			sources = append(sources, d.topo)
		}
	}
	sort.Strings(sources)
	return &Topology{Region: region, Accounts: c.accounts, Sources: sources, nodes: c.nodes}, nil
}

// accountsAndRegion checks the accounts of every file (an account may
// appear in several, with the same name and ID) and the one region.
func (c *checker) accountsAndRegion(docs []*doc, files []*File) (string, error) {
	region := ""
	byID := map[string]*Account{}
	for fi, f := range files {
		d := docs[fi]
		if f.Region != "" {
			if region != "" && region != f.Region {
				return "", d.errAt("region", "%s, but another file says %s: one apply acts in one region", f.Region, region)
			}
			region = f.Region
		}
		if len(f.Accounts) == 0 {
			return "", d.errAt("", "no accounts: a topology lists accounts: with their resources")
		}
		for i := range f.Accounts {
			a := &f.Accounts[i]
			if err := checkAccount(d, a); err != nil {
				return "", err
			}
			if o := c.byName[a.Name]; o != nil && o.ID != a.ID {
				return "", d.errAt(a.at+".id", "account %s is %s here but %s at %s", a.Name, a.ID, o.ID, o.src.loc(o.at+".id"))
			}
			if o := byID[a.ID]; o != nil && o.Name != a.Name {
				return "", d.errAt(a.at+".name", "account %s is named %s here but %s at %s", a.ID, a.Name, o.Name, o.src.loc(o.at+".name"))
			}
			if c.byName[a.Name] == nil {
				c.byName[a.Name] = a
				byID[a.ID] = a
				c.accounts = append(c.accounts, a)
			}
		}
	}
	return region, nil
}

func checkAccount(d *doc, a *Account) error {
	switch {
	case a.Name == "":
		return d.errAt(a.at, "name is missing: each account has a name the file refers to it by (e.g. provider)")
	case !nameRE.MatchString(a.Name):
		return d.errAt(a.at+".name", "%q is not a name: use letters, digits and hyphens", a.Name)
	case a.ID == "":
		return d.errAt(a.at, "id is missing: the account's 12-digit ID, quoted (id: \"111111111111\")")
	case !names.ValidAccount(a.ID):
		return d.errAt(a.at+".id", "%q is not an account ID: 12 digits, quoted (id: \"111111111111\")", a.ID)
	}
	return nil
}

// canonical is the account each node is filed under: the first entry of
// that account name (an account may appear in several files).
func (c *checker) canonical(a *Account) *Account { return c.byName[a.Name] }

// add declares a node, refusing a second one of the same kind and name in
// an account.
func (c *checker) add(n *node) error {
	if !nameRE.MatchString(n.name) && n.kind != KindListener {
		if n.name == "" {
			return n.d.errAt(n.path, "name is missing: every %s has a name the file refers to it by", n.kind)
		}
		return n.d.errAt(n.path+".name", "%q is not a name: 1 to 32 letters, digits and hyphens, not beginning or ending with a hyphen", n.name)
	}
	k := key(n.kind, n.acct.Name, n.name)
	if o := c.index[k]; o != nil {
		field := ".name"
		if n.kind == KindListener {
			field = ".port"
		}
		return n.d.errAt(n.path+field, "duplicate %s %q in account %s (first at %s)", n.kind, n.name, n.acct.Name, o.d.loc(o.path))
	}
	c.index[k] = n
	c.nodes = append(c.nodes, n)
	return nil
}

func (c *checker) declare(d *doc, a *Account) error {
	acct := c.canonical(a)
	mk := func(kind, name, path string) *node {
		return &node{kind: kind, acct: acct, name: name, topo: d.topo, d: d, path: path}
	}
	for i := range a.VPCs {
		v := &a.VPCs[i]
		p := fmt.Sprintf("%s.vpcs[%d]", a.at, i)
		n := mk(KindVPC, v.Name, p)
		n.vpc = v
		if err := c.add(n); err != nil {
			return err
		}
		for j := range v.Subnets {
			s := &v.Subnets[j]
			sn := mk(KindSubnet, s.Name, fmt.Sprintf("%s.subnets[%d]", p, j))
			sn.subnet, sn.parent = s, n
			sn.refs = []*node{n}
			if err := c.add(sn); err != nil {
				return err
			}
		}
	}
	for i := range a.SecurityGroups {
		n := mk(KindSecurityGroup, a.SecurityGroups[i].Name, fmt.Sprintf("%s.securityGroups[%d]", a.at, i))
		n.sg = &a.SecurityGroups[i]
		if err := c.add(n); err != nil {
			return err
		}
	}
	for i := range a.TargetGroups {
		n := mk(KindTargetGroup, a.TargetGroups[i].Name, fmt.Sprintf("%s.targetGroups[%d]", a.at, i))
		n.tg = &a.TargetGroups[i]
		if err := c.add(n); err != nil {
			return err
		}
	}
	for i := range a.LoadBalancers {
		lb := &a.LoadBalancers[i]
		p := fmt.Sprintf("%s.loadBalancers[%d]", a.at, i)
		n := mk(KindLoadBalancer, lb.Name, p)
		n.lb = lb
		if err := c.add(n); err != nil {
			return err
		}
		for j := range lb.Listeners {
			l := &lb.Listeners[j]
			lp := fmt.Sprintf("%s.listeners[%d]", p, j)
			if l.Port < 1 || l.Port > 65535 {
				return d.errAt(lp+".port", "want a port from 1 to 65535, not %d", l.Port)
			}
			ln := mk(KindListener, lb.Name+":"+strconv.Itoa(l.Port), lp)
			ln.ln, ln.parent = l, n
			ln.refs = []*node{n}
			if err := c.add(ln); err != nil {
				return err
			}
		}
	}
	for i := range a.Services {
		n := mk(KindService, a.Services[i].Name, fmt.Sprintf("%s.services[%d]", a.at, i))
		n.svc = &a.Services[i]
		if err := c.add(n); err != nil {
			return err
		}
	}
	for i := range a.Endpoints {
		n := mk(KindEndpoint, a.Endpoints[i].Name, fmt.Sprintf("%s.endpoints[%d]", a.at, i))
		n.ep = &a.Endpoints[i]
		if err := c.add(n); err != nil {
			return err
		}
	}
	return nil
}

// ref finds the kind named name in n's account, or says what there is.
func (c *checker) ref(n *node, field, kind, name string) (*node, error) {
	if name == "" {
		return nil, n.d.errAt(n.path+"."+field, "missing: name a %s of account %s", kind, n.acct.Name)
	}
	if r := c.index[key(kind, n.acct.Name, name)]; r != nil {
		n.refs = append(n.refs, r)
		return r, nil
	}
	var have []string
	for _, o := range c.nodes {
		if o.kind == kind && o.acct == n.acct {
			have = append(have, o.name)
		}
	}
	msg := fmt.Sprintf("no %s %q in account %s", kind, name, n.acct.Name)
	if len(have) > 0 {
		msg += " (there is " + strings.Join(have, ", ") + ")"
	}
	return nil, n.d.errAt(n.path+"."+field, "%s", msg)
}

func (c *checker) refs(n *node, field, kind string, list []string) ([]*node, error) {
	var out []*node
	for i, name := range list {
		r, err := c.ref(n, fmt.Sprintf("%s[%d]", field, i), kind, name)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func oneOf(n *node, field, v string, allowed ...string) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	return n.d.errAt(n.path+"."+field, "%q is not one of %s", v, strings.Join(allowed, ", "))
}

// resolve checks n's values, fills in the defaults and finds what it
// refers to.
func (c *checker) resolve(n *node) error {
	switch n.kind {
	case KindVPC:
		return checkCIDR(n, n.vpc.CIDR, "127.101.0.0/16")
	case KindSubnet:
		return checkSubnet(n)
	case KindSecurityGroup:
		return c.resolveSecurityGroup(n)
	case KindTargetGroup:
		return c.resolveTargetGroup(n)
	case KindLoadBalancer:
		return c.resolveLoadBalancer(n)
	case KindListener:
		return c.resolveListener(n)
	case KindService:
		return c.resolveService(n)
	case KindEndpoint:
		return c.resolveEndpoint(n)
	}
	return nil
}

// orDefault sets *v to def when the file leaves it out.
func orDefault(v *string, def string) {
	if *v == "" {
		*v = def
	}
}

func checkCIDR(n *node, cidr, example string) error {
	if p, err := netip.ParsePrefix(cidr); err != nil || !p.Addr().Is4() {
		return n.d.errAt(n.path+".cidr", "want an IPv4 CIDR such as %s, not %q", example, cidr)
	}
	return nil
}

func checkPort(n *node, field string, port int) error {
	if port < 1 || port > 65535 {
		return n.d.errAt(n.path+"."+field, "want a port from 1 to 65535, not %d", port)
	}
	return nil
}

func checkSubnet(n *node) error {
	s := n.subnet
	if err := checkCIDR(n, s.CIDR, "127.101.0.0/20 (inside the VPC's)"); err != nil {
		return err
	}
	sub, vpc := netip.MustParsePrefix(s.CIDR), netip.MustParsePrefix(n.parent.vpc.CIDR) // both checked
	if sub.Bits() < vpc.Bits() || !vpc.Contains(sub.Addr()) {
		return n.d.errAt(n.path+".cidr", "%s is not inside the VPC's %s", s.CIDR, n.parent.vpc.CIDR)
	}
	if s.Zone == "" {
		return n.d.errAt(n.path, "zone is missing: name an availability zone such as us-east-1a")
	}
	if s.IPv6Subnet == nil {
		return nil
	}
	if !n.parent.vpc.IPv6 {
		return n.d.errAt(n.path+".ipv6Subnet", "the VPC %s has no IPv6 block: add ipv6: true to it", n.parent.name)
	}
	if *s.IPv6Subnet < 0 || *s.IPv6Subnet > 255 {
		return n.d.errAt(n.path+".ipv6Subnet", "want the number of a /64 in the VPC's /56, 0 to 255, not %d", *s.IPv6Subnet)
	}
	return nil
}

func (c *checker) resolveSecurityGroup(n *node) error {
	var err error
	if n.vpcRef, err = c.ref(n, "vpc", KindVPC, n.sg.VPC); err != nil {
		return err
	}
	for i, r := range n.sg.Ingress {
		if _, err := parseRule(r); err != nil {
			return n.d.errAt(fmt.Sprintf("%s.ingress[%d]", n.path, i), "%v", err)
		}
	}
	return nil
}

func (c *checker) resolveTargetGroup(n *node) error {
	tg := n.tg
	var err error
	if n.vpcRef, err = c.ref(n, "vpc", KindVPC, tg.VPC); err != nil {
		return err
	}
	orDefault(&tg.Protocol, "TCP")
	orDefault(&tg.TargetType, "ip")
	orDefault(&tg.IPAddressType, "ipv4")
	if err := oneOf(n, "protocol", tg.Protocol, "TCP", "UDP", "TCP_UDP", "TLS"); err != nil {
		return err
	}
	if err := checkPort(n, "port", tg.Port); err != nil {
		return err
	}
	if err := oneOf(n, "targetType", tg.TargetType, "ip"); err != nil {
		return err
	}
	if err := oneOf(n, "ipAddressType", tg.IPAddressType, "ipv4", "ipv6"); err != nil {
		return err
	}
	for i := range tg.Targets {
		t := &tg.Targets[i]
		field := fmt.Sprintf("targets[%d]", i)
		if _, err := netip.ParseAddr(t.IP); err != nil {
			return n.d.errAt(n.path+"."+field+".ip", "want an IP address such as 127.0.0.1, not %q", t.IP)
		}
		if t.Port == 0 {
			t.Port = tg.Port
		}
		if err := checkPort(n, field+".port", t.Port); err != nil {
			return err
		}
		orDefault(&t.Zone, "all")
	}
	return nil
}

func (c *checker) resolveLoadBalancer(n *node) error {
	lb := n.lb
	orDefault(&lb.Scheme, "internal")
	orDefault(&lb.IPAddressType, "ipv4")
	if err := oneOf(n, "scheme", lb.Scheme, "internal", "internet-facing"); err != nil {
		return err
	}
	if err := oneOf(n, "ipAddressType", lb.IPAddressType, "ipv4", "dualstack"); err != nil {
		return err
	}
	if len(lb.Subnets) == 0 {
		return n.d.errAt(n.path, "subnets is missing: a load balancer needs at least one subnet of the account")
	}
	var err error
	n.subnets, err = c.refs(n, "subnets", KindSubnet, lb.Subnets)
	return err
}

func (c *checker) resolveListener(n *node) error {
	orDefault(&n.ln.Protocol, "TCP")
	if err := oneOf(n, "protocol", n.ln.Protocol, "TCP", "UDP", "TCP_UDP", "TLS"); err != nil {
		return err
	}
	var err error
	n.tgRef, err = c.ref(n, "targetGroup", KindTargetGroup, n.ln.TargetGroup)
	return err
}

func (c *checker) resolveService(n *node) error {
	s := n.svc
	if len(s.LoadBalancers) == 0 {
		return n.d.errAt(n.path, "loadBalancers is missing: a service is offered through at least one load balancer of the account")
	}
	var err error
	if n.lbs, err = c.refs(n, "loadBalancers", KindLoadBalancer, s.LoadBalancers); err != nil {
		return err
	}
	for i, t := range s.SupportedIPAddressTypes {
		if err := oneOf(n, fmt.Sprintf("supportedIpAddressTypes[%d]", i), t, "ipv4", "ipv6"); err != nil {
			return err
		}
	}
	for i, p := range s.AllowedPrincipals {
		arn, ok := c.principal(p)
		if !ok {
			return n.d.errAt(fmt.Sprintf("%s.allowedPrincipals[%d]", n.path, i),
				"%q is neither an account of this file, a 12-digit account ID, an ARN nor *", p)
		}
		n.princ = append(n.princ, arn)
	}
	return nil
}

// principal reads an allowed principal: an account of the file by name, an
// account ID (its root), an ARN or *.
func (c *checker) principal(p string) (string, bool) {
	switch {
	case c.byName[p] != nil:
		return names.RootPrincipal(c.byName[p].ID), true
	case names.ValidAccount(p):
		return names.RootPrincipal(p), true
	case p == "*" || strings.HasPrefix(p, "arn:"):
		return p, true
	}
	return "", false
}

func (c *checker) resolveEndpoint(n *node) error {
	e := n.ep
	var err error
	switch acctName, svcName, cross := strings.Cut(e.Service, "/"); {
	case e.Service == "":
		return n.d.errAt(n.path, "service is missing: name it as account/service (e.g. provider/web)")
	case strings.HasPrefix(e.Service, "com.amazonaws."):
		if e.Accept {
			return n.d.errAt(n.path+".accept", "the service %s is not in this file, so apply cannot accept as its provider", e.Service)
		}
	case cross:
		a := c.byName[acctName]
		if a == nil {
			return n.d.errAt(n.path+".service", "no account %q in this file", acctName)
		}
		r := c.index[key(KindService, acctName, svcName)]
		if r == nil {
			return n.d.errAt(n.path+".service", "no service %q in account %s", svcName, acctName)
		}
		n.svcRef = r
		n.refs = append(n.refs, r)
	default:
		r := c.index[key(KindService, n.acct.Name, e.Service)]
		if r == nil {
			return n.d.errAt(n.path+".service", "no service %q in account %s (a service of another account is account/service)", e.Service, n.acct.Name)
		}
		n.svcRef = r
		n.refs = append(n.refs, r)
	}
	if n.vpcRef, err = c.ref(n, "vpc", KindVPC, e.VPC); err != nil {
		return err
	}
	if len(e.Subnets) == 0 {
		return n.d.errAt(n.path, "subnets is missing: an endpoint has a network interface in each of its subnets")
	}
	if n.subnets, err = c.refs(n, "subnets", KindSubnet, e.Subnets); err != nil {
		return err
	}
	for i, s := range n.subnets {
		if s.parent != n.vpcRef {
			return n.d.errAt(fmt.Sprintf("%s.subnets[%d]", n.path, i), "subnet %s is in VPC %s, not in the endpoint's VPC %s", s.name, s.parent.name, n.vpcRef.name)
		}
	}
	if n.sgs, err = c.refs(n, "securityGroups", KindSecurityGroup, e.SecurityGroups); err != nil {
		return err
	}
	if v := n.vpcRef.vpc; e.PrivateDNS != nil && *e.PrivateDNS && (v.DNSHostnames == nil || !*v.DNSHostnames || (v.DNSSupport != nil && !*v.DNSSupport)) {
		return n.d.errAt(n.path+".privateDns", "private DNS needs DNS hostnames and DNS support in the endpoint's VPC, as on AWS: "+
			"add dnsHostnames: true to VPC %s (at %s)", n.vpcRef.name, n.vpcRef.d.loc(n.vpcRef.path))
	}
	if e.IPAddressType != "" {
		if err := oneOf(n, "ipAddressType", e.IPAddressType, "ipv4", "dualstack", "ipv6"); err != nil {
			return err
		}
	}
	if e.DNSRecordIPType != "" {
		if err := oneOf(n, "dnsRecordIpType", e.DNSRecordIPType, "ipv4", "dualstack", "ipv6", "service-defined"); err != nil {
			return err
		}
	}
	return nil
}

// allowed refuses an endpoint to a service of another account of the file
// that does not list it in allowedPrincipals: AWS would answer that the
// service does not exist.
func allowed(n, svc *node) error {
	for _, p := range svc.princ {
		if p == "*" || strings.Contains(p, ":"+n.acct.ID+":") {
			return nil
		}
	}
	return n.d.errAt(n.path+".service", "service %s/%s does not allow account %s: add %s to its allowedPrincipals (at %s)",
		svc.acct.Name, svc.name, n.acct.Name, n.acct.Name, svc.d.loc(svc.path))
}

// rule is a security group rule in one canonical form.
type rule struct {
	proto    string // tcp, udp, -1
	from, to int
	cidr     netip.Prefix
}

func (r rule) String() string {
	if r.proto == "-1" {
		return "all from " + r.cidr.String()
	}
	ports := strconv.Itoa(r.from)
	if r.to != r.from {
		ports += "-" + strconv.Itoa(r.to)
	}
	return r.proto + "/" + ports + " from " + r.cidr.String()
}

func parseRule(r Rule) (rule, error) {
	out := rule{proto: strings.ToLower(r.Protocol)}
	switch out.proto {
	case "", "tcp":
		out.proto = "tcp"
	case "udp":
	case "all", "-1":
		out.proto = "-1"
	default:
		return out, fmt.Errorf("protocol %q is not one of tcp, udp, all", r.Protocol)
	}
	p, err := netip.ParsePrefix(r.CIDR)
	if err != nil {
		return out, fmt.Errorf("cidr %q: want a CIDR such as 127.0.0.0/8 or ::/0", r.CIDR)
	}
	out.cidr = p.Masked()
	if out.proto == "-1" {
		return out, nil
	}
	switch from, to, isRange := strings.Cut(r.Ports, "-"); {
	case r.Ports == "" || r.Ports == "all":
		out.from, out.to = 0, 65535
	case isRange:
		out.from, err = strconv.Atoi(from)
		if err == nil {
			out.to, err = strconv.Atoi(to)
		}
	default:
		out.from, err = strconv.Atoi(from)
		out.to = out.from
	}
	if err != nil || out.from < 0 || out.to > 65535 || out.from > out.to {
		return out, fmt.Errorf("ports %q: want a port (80), a range (8000-8100) or all", r.Ports)
	}
	return out, nil
}
