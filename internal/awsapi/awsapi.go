// Package awsapi describes every AWS action plink serves, once: its AWS
// name and service, its input and output members (read by reflection from
// the control package's structs and their tags), its paging, its plink
// short name and its table columns. Everything at the edge is derived from
// it: the cobra commands and their flags (cmd/plink/cli/awscli), --help,
// required-member checks, --cli-input-json and skeletons, paging, and the
// AWS wire protocols (issue 10: EC2 and ELBv2 query requests decode into
// the same input structs, outputs encode as XML from the same members).
//
// Adding an action is a control method with its <Action>Input and
// <Action>Output structs, and one Register line in actions.go.
//
// The struct tags it reads, on control's input and output structs:
//
//	json:"VpcEndpointIds"           the AWS member name (always given)
//	aws:"required"                  the member is required
//	locationName:"VpcEndpointId"    botocore's locationName of the member,
//	                                where the EC2 protocol's name for it is
//	                                not the regular one: a query parameter
//	                                is named after it, capitalized
//	                                (VpcEndpointId.1, VpcEndpointId.2), an
//	                                XML element after it (vpcEndpointSet).
//	                                Without it, EC2 names the parameter
//	                                after the member (DryRun) and the
//	                                element after the member in lower
//	                                camel case (vpcEndpointId); list items
//	                                are <item>. ELBv2 and STS use the
//	                                member name for both.
//
// It imports no cobra and no viper.
package awsapi

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/output"
)

// Service is an AWS service plink serves, by its AWS CLI name.
type Service string

// The services.
const (
	EC2   Service = "ec2"
	ELBv2 Service = "elbv2"
	STS   Service = "sts"
)

// Services lists the services in the order the CLI shows them.
func Services() []Service { return []Service{EC2, ELBv2, STS} }

// APIVersion is the service's API version (the models' directory name in
// botocore, and the Version parameter of a query request).
func (s Service) APIVersion() string {
	switch s {
	case EC2:
		return "2016-11-15"
	case ELBv2:
		return "2015-12-01"
	case STS:
		return "2011-06-15"
	}
	return ""
}

// Protocol is the wire protocol of the service as botocore names it: "ec2"
// for EC2, "query" for ELBv2 and STS.
func (s Service) Protocol() string {
	if s == EC2 {
		return "ec2"
	}
	return "query"
}

// Kind is a shape's type, with botocore's names.
type Kind string

// The kinds.
const (
	String    Kind = "string"
	Integer   Kind = "integer"
	Long      Kind = "long"
	Double    Kind = "double"
	Boolean   Kind = "boolean"
	List      Kind = "list"
	Map       Kind = "map"
	Structure Kind = "structure"
)

// Scalar reports whether k is a string, number or boolean.
func (k Kind) Scalar() bool { return k != List && k != Map && k != Structure }

// Shape is the type of a member, or of an action's input or output.
type Shape struct {
	Kind Kind
	// Type is the Go type, without pointers.
	Type reflect.Type
	// Members are a structure's members in Go field order, the members of
	// embedded structs in their place.
	Members []*Member
	// Elem is a list's element or a map's value (map keys are strings).
	Elem *Shape
}

// Member looks a structure member up by its AWS name.
func (s *Shape) Member(name string) *Member {
	for _, m := range s.Members {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// Member is one member of a structure.
type Member struct {
	// Name is the AWS member name (from the json tag).
	Name string
	// Flag is the AWS CLI option for it, without the dashes: botocore's
	// xform_name of Name ("VpcEndpointIds" -> "vpc-endpoint-ids").
	Flag string
	// LocationName is botocore's locationName, where the member has one
	// (tag locationName): the EC2 protocol's name of the member.
	LocationName string
	Required     bool
	// Pointer says the Go field is a pointer: unset and zero differ.
	Pointer bool
	Shape   *Shape
	// Index is the field's index path in the structure (reflect.FieldByIndex).
	Index []int
}

// QueryName is the member's name in an EC2 query request (lists add .1,
// .2, ...; structures .Member):
// the locationName with its first letter upper-cased, or the member name.
// (ELBv2 and STS name query parameters after the member name.)
func (m *Member) QueryName() string {
	if m.LocationName == "" {
		return m.Name
	}
	return strings.ToUpper(m.LocationName[:1]) + m.LocationName[1:]
}

// XMLName is the member's element name in an answer of svc: for EC2 the
// locationName, or the member name in lower camel case; for ELBv2 and STS
// the member name.
func (m *Member) XMLName(svc Service) string {
	if svc != EC2 {
		return m.Name
	}
	if m.LocationName != "" {
		return m.LocationName
	}
	return strings.ToLower(m.Name[:1]) + m.Name[1:]
}

// Field returns the member's field in v, a structure of the member's
// structure type (addressable for setting). Embedded pointers are not used.
func (m *Member) Field(v reflect.Value) reflect.Value { return v.FieldByIndex(m.Index) }

// Paging says how an action pages, as botocore's paginators-1.json does.
type Paging struct {
	InputToken  string   // NextToken | Marker
	LimitKey    string   // MaxResults | PageSize
	OutputToken string   // NextToken | NextMarker
	ResultKeys  []string // the output's lists a page holds
}

// Doc is what the registration of an action says beyond its structs.
type Doc struct {
	// Action is the AWS action's name where the Go structs' names differ
	// (DescribeTagsEC2Input is EC2's DescribeTags: ELBv2 has one too).
	Action string
	// Short is plink's own name for the command ("create-endpoint"), empty
	// when plink uses the AWS CLI name only.
	Short string
	// Summary is the one line of help; Long the rest.
	Summary, Long string
	// Help is the help of some members, by AWS name.
	Help map[string]string
	// Table says how -o table prints the output; nil prints it generically.
	Table *output.Table
}

// Action is one AWS action.
type Action struct {
	// Name is the AWS action name, e.g. CreateVpcEndpoint.
	Name    string
	Service Service
	// CLIName is the AWS CLI's command name, e.g. create-vpc-endpoint.
	CLIName string
	Doc
	Input, Output *Shape
	// Paging is nil for an action that does not page.
	Paging *Paging

	call func(ctx context.Context, api *control.API, in any) (any, error)
}

// NewInput returns a new, empty input: a *<Name>Input.
func (a *Action) NewInput() any { return reflect.New(a.Input.Type).Interface() }

// Call runs the action as api's caller. in is a *<Name>Input; the result is
// a *<Name>Output.
func (a *Action) Call(ctx context.Context, api *control.API, in any) (any, error) {
	return a.call(ctx, api, in)
}

// Missing returns the AWS names of the required members in is missing.
func (a *Action) Missing(in any) []string { return control.MissingMembers(in) }

// Register describes the action call is the control method of, e.g.
// Register(EC2, (*control.API).DeleteVpcEndpoints, Doc{...}). The action's
// name is the input type's name without "Input" (or Doc.Action); the output
// type must be named after the input type too.
func Register[I, O any](svc Service, call func(*control.API, context.Context, *I) (*O, error), doc Doc) *Action {
	it, ot := reflect.TypeFor[I](), reflect.TypeFor[O]()
	name, ok := strings.CutSuffix(it.Name(), "Input")
	if !ok || ot.Name() != name+"Output" {
		panic(fmt.Sprintf("awsapi: %s/%s: an action's structs are <Action>Input and <Action>Output", it.Name(), ot.Name()))
	}
	if doc.Action != "" {
		name = doc.Action
	}
	shapesMu.Lock()
	in, out := shapeOf(it), shapeOf(ot)
	shapesMu.Unlock()
	a := &Action{Name: name, Service: svc, CLIName: XformName(name), Doc: doc, Input: in, Output: out}
	a.call = func(ctx context.Context, api *control.API, in any) (any, error) {
		p, ok := in.(*I)
		if !ok {
			return nil, fmt.Errorf("awsapi: %s takes a *%s, not %T", name, it.Name(), in)
		}
		return call(api, ctx, p)
	}
	a.Paging = pagingOf(a)
	for n := range doc.Help {
		if a.Input.Member(n) == nil {
			panic(fmt.Sprintf("awsapi: %s: help for %s, which is no member", name, n))
		}
	}
	return a
}

// pagingOf reads the paging of an action from its input: the embedded
// control.EC2Paging or control.ELBPaging. Its result keys are the output's
// lists.
func pagingOf(a *Action) *Paging {
	var p *Paging
	switch {
	case a.Input.Member("NextToken") != nil && a.Input.Member("MaxResults") != nil:
		p = &Paging{InputToken: "NextToken", LimitKey: "MaxResults", OutputToken: "NextToken"}
	case a.Input.Member("Marker") != nil && a.Input.Member("PageSize") != nil:
		p = &Paging{InputToken: "Marker", LimitKey: "PageSize", OutputToken: "NextMarker"}
	default:
		return nil
	}
	if a.Output.Member(p.OutputToken) == nil {
		panic(fmt.Sprintf("awsapi: %s pages but its output has no %s", a.Name, p.OutputToken))
	}
	for _, m := range a.Output.Members {
		if m.Shape.Kind == List {
			p.ResultKeys = append(p.ResultKeys, m.Name)
		}
	}
	return p
}

// shapes memoizes shapeOf (under shapesMu): a type many actions use is
// described once.
var (
	shapesMu sync.Mutex
	shapes   = map[reflect.Type]*Shape{}
)

// shapeOf describes a Go type.
func shapeOf(t reflect.Type) *Shape {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s, ok := shapes[t]; ok {
		return s
	}
	s := &Shape{Type: t}
	shapes[t] = s
	switch t.Kind() {
	case reflect.String:
		s.Kind = String
	case reflect.Bool:
		s.Kind = Boolean
	case reflect.Int, reflect.Int32, reflect.Int16, reflect.Int8, reflect.Uint16, reflect.Uint8:
		s.Kind = Integer
	case reflect.Int64, reflect.Uint32, reflect.Uint64, reflect.Uint:
		s.Kind = Long
	case reflect.Float32, reflect.Float64:
		s.Kind = Double
	case reflect.Slice, reflect.Array:
		s.Kind, s.Elem = List, shapeOf(t.Elem())
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			panic(fmt.Sprintf("awsapi: %s: map keys are strings", t))
		}
		s.Kind, s.Elem = Map, shapeOf(t.Elem())
	case reflect.Struct:
		s.Kind = Structure
		s.Members = membersOf(t, nil)
	default:
		panic(fmt.Sprintf("awsapi: %s: no AWS type for a %s", t, t.Kind()))
	}
	return s
}

func membersOf(t reflect.Type, index []int) []*Member {
	var out []*Member
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		idx := append(append([]int{}, index...), i)
		tag, hasTag := f.Tag.Lookup("json")
		if f.Anonymous && !hasTag && f.Type.Kind() == reflect.Struct {
			out = append(out, membersOf(f.Type, idx)...)
			continue
		}
		if !f.IsExported() || tag == "-" {
			continue
		}
		name := control.MemberName(f)
		out = append(out, &Member{Name: name, Flag: XformName(name), LocationName: f.Tag.Get("locationName"),
			Required: control.HasOption(f.Tag, "required"), Pointer: f.Type.Kind() == reflect.Pointer,
			Shape: shapeOf(f.Type), Index: idx})
	}
	return out
}

// xformCache holds XformName's answers: the same member names recur.
var xformCache sync.Map

// XformName is the AWS CLI's name for a CamelCase AWS name, as botocore's
// xform_name makes it: DescribeVpcEndpoints -> describe-vpc-endpoints,
// Ipv6CidrBlock -> ipv6-cidr-block, ResourceARNs -> resource-arns.
func XformName(name string) string {
	if v, ok := xformCache.Load(name); ok {
		return v.(string)
	}
	x := xformName(name)
	xformCache.Store(name, x)
	return x
}

// xformName is botocore's xform_name (botocore/__init__.py) with "-" as
// the separator, its three regular expressions written out (the registry
// calls it for every member; regexp took most of plink's start-up):
//
//	[A-Z]{2,}s$             ARNs -> -arns
//	(.)([A-Z][a-z]+)        \1-\2, left to right
//	([a-z0-9])([A-Z])       \1-\2, left to right; then lower case
func xformName(name string) string {
	if strings.Contains(name, "-") {
		return name
	}
	n := len(name)
	if n >= 3 && name[n-1] == 's' && isUpper(name[n-2]) && isUpper(name[n-3]) {
		i := n - 3
		for i > 0 && isUpper(name[i-1]) {
			i--
		}
		name = name[:i] + "-" + strings.ToLower(name[i:])
	}
	var b1 strings.Builder
	for i := 0; i < len(name); {
		if i+2 < len(name) && isUpper(name[i+1]) && isLower(name[i+2]) {
			j := i + 3
			for j < len(name) && isLower(name[j]) {
				j++
			}
			b1.WriteByte(name[i])
			b1.WriteByte('-')
			b1.WriteString(name[i+1 : j])
			i = j
			continue
		}
		b1.WriteByte(name[i])
		i++
	}
	s := b1.String()
	var b2 strings.Builder
	for i := 0; i < len(s); {
		if i+1 < len(s) && (isLower(s[i]) || isDigit(s[i])) && isUpper(s[i+1]) {
			b2.WriteByte(s[i])
			b2.WriteByte('-')
			b2.WriteByte(s[i+1])
			i += 2
			continue
		}
		b2.WriteByte(s[i])
		i++
	}
	return strings.ToLower(b2.String())
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
