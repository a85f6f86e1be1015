package awsmodel

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/control"
)

// handActions are some of today's control structs, until the action
// registry (control's Actions()) lists them all.
func handActions() []Action {
	return []Action{
		{Service: "ec2", Operation: "CreateVpcEndpoint", Input: reflect.TypeFor[createVpcEndpointInput](), Output: reflect.TypeFor[control.CreateVpcEndpointOutput]()},
		{Service: "ec2", Operation: "DescribeVpcEndpoints", Output: reflect.TypeFor[control.DescribeVpcEndpointsOutput]()},
		{Service: "ec2", Operation: "DeleteVpcEndpoints", Output: reflect.TypeFor[control.DeleteVpcEndpointsOutput]()},
		{Service: "elbv2", Operation: "CreateLoadBalancer", Output: reflect.TypeFor[control.CreateLoadBalancerOutput]()},
		{Service: "elbv2", Operation: "DescribeLoadBalancers", Output: reflect.TypeFor[control.DescribeLoadBalancersOutput]()},
		{Service: "sts", Operation: "GetCallerIdentity", Input: reflect.TypeFor[control.GetCallerIdentityInput](), Output: reflect.TypeFor[control.GetCallerIdentityOutput]()},
	}
}

// createVpcEndpointInput is ec2 CreateVpcEndpoint's input as the action
// description states it (json member names, aws:"required").
type createVpcEndpointInput struct {
	DryRun            *bool                      `json:"DryRun,omitempty"`
	VpcEndpointType   string                     `json:"VpcEndpointType,omitempty"`
	VpcID             string                     `json:"VpcId" aws:"required"`
	ServiceName       string                     `json:"ServiceName" aws:"required"`
	PolicyDocument    string                     `json:"PolicyDocument,omitempty"`
	SubnetIDs         []string                   `json:"SubnetIds,omitempty"`
	SecurityGroupIDs  []string                   `json:"SecurityGroupIds,omitempty"`
	IPAddressType     string                     `json:"IpAddressType,omitempty"`
	DNSOptions        *dnsOptionsSpecification   `json:"DnsOptions,omitempty"`
	ClientToken       string                     `json:"ClientToken,omitempty"`
	PrivateDNSEnabled *bool                      `json:"PrivateDnsEnabled,omitempty"`
	TagSpecifications []control.TagSpecification `json:"TagSpecifications,omitempty"`
}

type dnsOptionsSpecification struct {
	DNSRecordIPType string `json:"DnsRecordIpType,omitempty"`
}

// TestModelCheck: today's structs agree with the models.
func TestModelCheck(t *testing.T) {
	ms := loadOrSkip(t)
	r := ms.Check(handActions(), []Enum{
		{Service: "ec2", Shape: "VpcEndpoint", Member: "State", Values: []string{"pendingAcceptance", "pending", "available", "deleting", "deleted", "rejected", "failed", "expired"}, LowerFirst: true},
		{Service: "ec2", Shape: "VpcEndpoint", Member: "VpcEndpointType", Values: []string{"Interface"}},
		{Service: "ec2", Shape: "Vpc", Member: "State", Values: []string{"pending", "available"}},
		{Service: "elbv2", Shape: "LoadBalancerState", Member: "Code", Values: []string{"active", "provisioning", "failed"}},
	})
	if err := r.Err(); err != nil {
		t.Error(err)
	}
	for _, n := range r.Notes {
		t.Log("note:", n)
	}
	t.Logf("%d model members omitted:\n  %s", len(r.Omitted), strings.Join(r.Omitted, "\n  "))
}

// TestModelCheckFails: the check finds what is wrong.
func TestModelCheckFails(t *testing.T) {
	ms := loadOrSkip(t)
	type group struct {
		GroupID string `json:"GroupID"` // casing
	}
	type endpoint struct {
		VpcEndpointID string  `json:"VpcEndpointId"`
		State         int     `json:"State"` // type
		Groups        []group `json:"Groups"`
		Colour        string  `json:"Colour"` // not in the model
		Tags          string  `json:"Tags"`   // a list in the model
		hidden        string
		Skipped       string `json:"-"`
	}
	type describeOut struct {
		VpcEndpoints []endpoint `json:"VpcEndpoints"`
	}
	type createIn struct {
		VpcID       string `json:"VpcId"` // required, not tagged
		ServiceName int    `json:"ServiceName" aws:"required"`
		SubnetIDs   []int  `json:"SubnetIds"`
	}
	type missingRequired struct {
		VpcID string `json:"VpcId" aws:"shorthand,required"`
	}
	type embedded struct {
		missingRequired
		Extra bool `json:"PrivateDnsEnabled" aws:"required"`
	}
	cases := []struct {
		action Action
		enums  []Enum
		want   []string // each in some problem
	}{
		{Action{Service: "ec2", Operation: "DescribeVpcEndpoints", Output: reflect.TypeFor[describeOut]()}, nil, []string{
			"VpcEndpoints[].State: Go type int does not match the model's string",
			"VpcEndpoints[].Groups[].GroupID: wrong casing: the model's member is GroupId",
			"VpcEndpoints[].Colour: the model's VpcEndpoint has no member Colour",
			"VpcEndpoints[].Tags: Go type string does not match the model's list",
		}},
		{Action{Service: "ec2", Operation: "CreateVpcEndpoint", Input: reflect.TypeFor[createIn]()}, nil, []string{
			"input VpcId: required by the model, not tagged",
			"input ServiceName: Go type int does not match the model's string",
			"input SubnetIds[]: Go type int does not match",
		}},
		{Action{Service: "ec2", Operation: "CreateVpcEndpoint", Input: reflect.TypeFor[embedded]()}, nil, []string{
			"input ServiceName: required by the model, missing",
		}},
		{Action{Service: "ec2", Operation: "CreateVpcEndpoints"}, nil, []string{"the model has no such operation"}},
		{Action{Service: "s3", Operation: "ListBuckets"}, nil, []string{"no model loaded for service"}},
		{Action{Service: "sts", Operation: "GetCallerIdentity", Input: reflect.TypeFor[missingRequired]()}, nil, []string{
			"input VpcId: the model's GetCallerIdentityRequest has no member VpcId",
		}},
		{Action{}, []Enum{{Service: "ec2", Shape: "VpcEndpoint", Member: "State", LowerFirst: true, Values: []string{"available", "Available", "PENDINGACCEPTANCE", "gone"}}}, []string{
			`"Available": AWS prints "available"`, `"PENDINGACCEPTANCE" is not in the model's enum`, `"gone" is not in the model's enum`,
		}},
		{Action{}, []Enum{{Service: "ec2", Shape: "VpcEndpoint", Member: "State", Values: []string{"Available", "pendingAcceptance"}}}, []string{
			`"pendingAcceptance": the model's enum has "PendingAcceptance"`,
		}},
		// Instance.State.Name: the model's enum is lowercase, so is AWS's.
		{Action{}, []Enum{{Service: "ec2", Shape: "InstanceState", Member: "Name", Values: []string{"running", "Stopped"}}}, []string{
			`"Stopped" is not in the model's enum InstanceStateName`,
		}},
		// The model's enum is lowercase; AWS's examples print "available".
		{Action{}, []Enum{{Service: "ec2", Shape: "Vpc", Member: "State", Values: []string{"Available"}}}, []string{`"Available" is not in the model's enum`}},
		// Attachment (volumes): the enum is lowercase already.
		{Action{}, []Enum{{Service: "ec2", Shape: "Subnet", Member: "State", Values: []string{"Pending"}}}, []string{`"Pending" is not in the model's enum`}},
		{Action{}, []Enum{{Service: "ec2", Shape: "VpcEndpoint", Member: "VpcId", Values: []string{"x"}}}, []string{"has no enum"}},
		{Action{}, []Enum{{Service: "ec2", Shape: "VpcEndpoint", Member: "Colour", Values: []string{"x"}}}, []string{"has no member Colour"}},
	}
	for i, c := range cases {
		var actions []Action
		if c.action.Service != "" {
			actions = []Action{c.action}
		}
		r := ms.Check(actions, c.enums)
		for _, w := range c.want {
			if !slices.ContainsFunc(r.Problems, func(p string) bool { return strings.Contains(p, w) }) {
				t.Errorf("case %d: no problem %q in:\n  %s", i, w, strings.Join(r.Problems, "\n  "))
			}
		}
		if len(r.Problems) != len(c.want) || (len(c.want) > 0) != (r.Err() != nil) {
			t.Errorf("case %d: %d problems, want %d:\n  %s", i, len(r.Problems), len(c.want), strings.Join(r.Problems, "\n  "))
		}
	}
	// Required members plink adds are notes, not problems.
	r := ms.Check([]Action{{Service: "ec2", Operation: "CreateVpcEndpoint", Input: reflect.TypeFor[embedded]()}}, nil)
	if !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "PrivateDnsEnabled: plink requires it") }) {
		t.Errorf("notes %q", r.Notes)
	}
}
