package awsmodel

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

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

// TestAddNewer: an allowance for a part of the API the installed models
// lack goes into the models, and one they have already is stale.
func TestAddNewer(t *testing.T) {
	ms := loadOrSkip(t)
	type out struct {
		GroupID string `json:"GroupId"`
		Colour  string `json:"Colour"`
	}
	act := []Action{{Service: "ec2", Operation: "DeleteSecurityGroup", Output: reflect.TypeFor[out]()}}
	if r := ms.Check(act, nil); len(r.Problems) != 2 {
		t.Fatalf("before: %q", r.Problems)
	}
	err := ms.AddNewer(Newer{Service: "ec2", Reason: "test",
		Shapes:    map[string]*Shape{"DeleteSecurityGroupResultX": {Type: "structure", Members: map[string]ShapeRef{"GroupId": {Shape: "String"}}}},
		Operation: &Operation{Name: "DeleteSecurityGroup", Output: &ShapeRef{Shape: "DeleteSecurityGroupResultX"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ms.AddNewer(Newer{Service: "ec2", Reason: "test", Members: map[string]ShapeRef{"DeleteSecurityGroupResultX.Colour": {Shape: "String"}}}); err != nil {
		t.Fatal(err)
	}
	if r := ms.Check(act, nil); r.Err() != nil {
		t.Errorf("after: %v", r.Err())
	}
	for i, n := range []Newer{
		{Service: "ec2", Members: map[string]ShapeRef{"Vpc.VpcId": {Shape: "String"}}},
		{Service: "ec2", Shapes: map[string]*Shape{"Vpc": {Type: "structure"}}},
		{Service: "ec2", Operation: &Operation{Name: "CreateVpc", Input: &ShapeRef{Shape: "CreateVpcRequest"}}},
		{Service: "ec2", Operation: &Operation{Name: "DeleteSecurityGroup", Output: &ShapeRef{Shape: "DeleteSecurityGroupResultX"}}},
	} {
		if err := ms.AddNewer(n); err == nil || !strings.Contains(err.Error(), "stale") {
			t.Errorf("case %d: %v, want stale", i, err)
		}
	}
	for i, n := range []Newer{
		{Service: "s3"},
		{Service: "ec2", Members: map[string]ShapeRef{"NoSuchShape.X": {Shape: "String"}}},
		{Service: "ec2", Members: map[string]ShapeRef{"Vpc.Colour": {Shape: "NoSuchShape"}}},
	} {
		if err := ms.AddNewer(n); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
}
