// Package topology is `plink apply` and `plink delete -f`: a declarative
// file of accounts' VPCs, subnets, security groups, load balancers, target
// groups, endpoint services and endpoints that refer to one another by
// name, its loading with errors that name file, line and field, and the
// plan that brings the store to it through the control API, acting as the
// account each resource belongs to.
//
// What apply creates carries two tags: plink:apply/name (the name in the
// file) and plink:apply/source (the topology's name), so that the next
// apply finds it again. Listeners and targets are found through their
// load balancer and target group; permissions through their service.
package topology

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Tags that mark what apply created.
const (
	TagName   = "plink:apply/name"
	TagSource = "plink:apply/source"
)

// File is one topology document.
type File struct {
	Name     string    `yaml:"name"`
	Region   string    `yaml:"region"`
	Accounts []Account `yaml:"accounts"`
}

// Account is what one account owns.
type Account struct {
	Name           string          `yaml:"name"`
	ID             string          `yaml:"id"`
	VPCs           []VPC           `yaml:"vpcs"`
	SecurityGroups []SecurityGroup `yaml:"securityGroups"`
	TargetGroups   []TargetGroup   `yaml:"targetGroups"`
	LoadBalancers  []LoadBalancer  `yaml:"loadBalancers"`
	Services       []Service       `yaml:"services"`
	Endpoints      []Endpoint      `yaml:"endpoints"`

	src *doc
	at  string
}

// VPC is a VPC and its subnets.
type VPC struct {
	Name         string   `yaml:"name"`
	CIDR         string   `yaml:"cidr"`
	IPv6         bool     `yaml:"ipv6"`
	DNSHostnames *bool    `yaml:"dnsHostnames"` // AWS's default: false; private DNS needs true
	DNSSupport   *bool    `yaml:"dnsSupport"`   // AWS's default: true
	Subnets      []Subnet `yaml:"subnets"`
}

// Subnet is a subnet of its VPC in one zone. IPv6Subnet numbers the /64
// inside the VPC's /56 (0 to 255), as Terraform's cidrsubnet(.., 8, n).
type Subnet struct {
	Name       string `yaml:"name"`
	Zone       string `yaml:"zone"`
	CIDR       string `yaml:"cidr"`
	IPv6Subnet *int   `yaml:"ipv6Subnet"`
}

// SecurityGroup is a security group with its inbound rules.
type SecurityGroup struct {
	Name        string `yaml:"name"`
	VPC         string `yaml:"vpc"`
	Description string `yaml:"description"`
	Ingress     []Rule `yaml:"ingress"`
}

// Rule allows traffic from CIDR (IPv4 or IPv6) to Ports ("80", "8000-8100"
// or "all") over Protocol (tcp, udp or all).
type Rule struct {
	Protocol string `yaml:"protocol"`
	Ports    string `yaml:"ports"`
	CIDR     string `yaml:"cidr"`
}

// TargetGroup is a target group, its health check, attributes and targets.
type TargetGroup struct {
	Name          string            `yaml:"name"`
	VPC           string            `yaml:"vpc"`
	Protocol      string            `yaml:"protocol"`
	Port          int               `yaml:"port"`
	TargetType    string            `yaml:"targetType"`
	IPAddressType string            `yaml:"ipAddressType"`
	HealthCheck   *HealthCheck      `yaml:"healthCheck"`
	Attributes    map[string]string `yaml:"attributes"`
	Targets       []Target          `yaml:"targets"`
}

// HealthCheck is the health check settings a file sets; the others keep
// AWS's defaults.
type HealthCheck struct {
	Protocol           string `yaml:"protocol"`
	Port               string `yaml:"port"`
	Path               string `yaml:"path"`
	Matcher            string `yaml:"matcher"`
	IntervalSeconds    *int   `yaml:"intervalSeconds"`
	TimeoutSeconds     *int   `yaml:"timeoutSeconds"`
	HealthyThreshold   *int   `yaml:"healthyThreshold"`
	UnhealthyThreshold *int   `yaml:"unhealthyThreshold"`
}

// Target is a registered target: an IP address, a port (the group's
// unless set) and a zone ("all" unless set: plink's targets are usually
// outside the VPC, on 127.0.0.1).
type Target struct {
	IP   string `yaml:"ip"`
	Port int    `yaml:"port"`
	Zone string `yaml:"zone"`
}

// LoadBalancer is a Network Load Balancer with its listeners.
type LoadBalancer struct {
	Name          string            `yaml:"name"`
	Scheme        string            `yaml:"scheme"`
	Subnets       []string          `yaml:"subnets"`
	IPAddressType string            `yaml:"ipAddressType"`
	Attributes    map[string]string `yaml:"attributes"`
	Listeners     []Listener        `yaml:"listeners"`
}

// Listener forwards Port to TargetGroup.
type Listener struct {
	Port        int    `yaml:"port"`
	Protocol    string `yaml:"protocol"`
	TargetGroup string `yaml:"targetGroup"`
}

// Service is an endpoint service and who may connect to it.
type Service struct {
	Name                    string   `yaml:"name"`
	LoadBalancers           []string `yaml:"loadBalancers"`
	AcceptanceRequired      *bool    `yaml:"acceptanceRequired"`
	PrivateDNSName          string   `yaml:"privateDnsName"`
	SupportedIPAddressTypes []string `yaml:"supportedIpAddressTypes"`
	AllowedPrincipals       []string `yaml:"allowedPrincipals"`
}

// Endpoint is an interface endpoint to a service, named "account/service"
// (or "service" in the same account, or an AWS service name).
type Endpoint struct {
	Name            string   `yaml:"name"`
	Service         string   `yaml:"service"`
	VPC             string   `yaml:"vpc"`
	Subnets         []string `yaml:"subnets"`
	SecurityGroups  []string `yaml:"securityGroups"`
	PrivateDNS      *bool    `yaml:"privateDns"`
	IPAddressType   string   `yaml:"ipAddressType"`
	DNSRecordIPType string   `yaml:"dnsRecordIpType"`
	Accept          bool     `yaml:"accept"`
}

// Source is one file's bytes and the name errors give it.
type Source struct {
	Path  string // as the user gave it; "-" for standard input
	Data  []byte
	Stdin bool
}

// doc is one decoded document.
type doc struct {
	file  string // for errors
	topo  string // the source tag of what it creates
	pos   positions
	index int
}

// FieldError is an error in a file, at a line, in a field.
type FieldError struct {
	File string
	Line int
	Path string
	Msg  string
}

func (e *FieldError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Path == "" {
		return loc + ": " + e.Msg
	}
	return loc + ": " + e.Path + ": " + e.Msg
}

// errAt is an error at path of d.
func (d *doc) errAt(path, format string, args ...any) *FieldError {
	return &FieldError{File: d.file, Line: d.line(path), Path: path, Msg: fmt.Sprintf(format, args...)}
}

// loc is "file:line" of path, for an error that points at a second place.
func (d *doc) loc(path string) string { return fmt.Sprintf("%s:%d", d.file, d.line(path)) }

// line is the line of path, or of the nearest enclosing path that has one
// (a missing field is reported at its parent).
func (d *doc) line(path string) int {
	line := d.pos[path]
	for p := path; line == 0 && p != ""; {
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
		line = d.pos[p]
	}
	return line
}

// Topology is every document of one apply, merged: references resolve
// across files, so a provider and a consumer may live in two files of a
// directory.
type Topology struct {
	Region   string
	Accounts []*Account // in the order first met
	Sources  []string   // the source tags, sorted
	nodes    []*node    // in the order of kindOrder, then of the files
}

// Load decodes and checks sources. The first error found is returned.
func Load(sources []Source) (*Topology, error) {
	var docs []*doc
	var files []*File
	for _, s := range sources {
		dec := yaml.NewDecoder(bytes.NewReader(s.Data))
		for i := 0; ; i++ {
			var n yaml.Node
			err := dec.Decode(&n)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, yamlError(s.Path, err)
			}
			if len(n.Content) == 0 {
				continue
			}
			d := &doc{file: s.Path, pos: positions{}, index: i}
			var f File
			if err := decodeNode(n.Content[0], reflect.ValueOf(&f).Elem(), "", d.pos); err != nil {
				var fe *FieldError
				if errors.As(err, &fe) {
					fe.File = s.Path
				}
				return nil, err
			}
			d.topo = f.Name
			if d.topo == "" {
				if s.Stdin {
					return nil, &FieldError{File: s.Path, Line: n.Content[0].Line, Msg: "a topology read from standard input needs a name: field " +
						"(what apply creates is tagged with it, so that the next apply finds it)"}
				}
				d.topo = strings.TrimSuffix(filepath.Base(s.Path), filepath.Ext(s.Path))
			}
			for i := range f.Accounts {
				f.Accounts[i].src = d
				f.Accounts[i].at = fmt.Sprintf("accounts[%d]", i)
			}
			docs = append(docs, d)
			files = append(files, &f)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no topology found in %s: a file needs at least accounts:", sourceNames(sources))
	}
	return check(docs, files)
}

func sourceNames(sources []Source) string {
	var out []string
	for _, s := range sources {
		out = append(out, s.Path)
	}
	return strings.Join(out, ", ")
}

// yamlError turns yaml.v3's "yaml: line 3: ..." into "file:3: not valid
// YAML: ...", with where to look: the parser's words alone ("did not find
// expected ',' or '}'") do not say that the file, not the topology, is wrong,
// nor that the mistake may sit on a line above the one named.
func yamlError(file string, err error) error {
	const hint = " (check the brackets, quotes and indentation on this line and the ones above)"
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ": "); ok {
			if line, err := strconv.Atoi(num); err == nil {
				return &FieldError{File: file, Line: line, Msg: "not valid YAML: " + tail + hint}
			}
		}
	}
	return &FieldError{File: file, Msg: "not valid YAML: " + msg}
}
