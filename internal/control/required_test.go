package control

import (
	"reflect"
	"testing"
)

func TestMissingMembers(t *testing.T) {
	in := &RegisterTargetsInput{TargetsInput{Targets: []TargetDescription{{ID: "127.0.0.1"}, {}}}}
	if got, want := MissingMembers(in), []string{"TargetGroupArn", "Targets[1].Id"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("MissingMembers = %q, want %q", got, want)
	}
	err := requiredELB(in)
	if e, ok := AsError(err); !ok || e.Code != ErrCodeValidationError ||
		e.Message != "2 validation errors detected: Value null at 'targetGroupArn' failed to satisfy constraint: Member must not be null; "+
			"Value null at 'targets.2.member.id' failed to satisfy constraint: Member must not be null" {
		t.Fatalf("requiredELB = %v", err)
	}
	err = requiredEC2(&AcceptVpcEndpointConnectionsInput{})
	if e, ok := AsError(err); !ok || e.Code != ErrCodeMissingParameter || e.Message != "The request must contain the parameters ServiceId, VpcEndpointIds" {
		t.Fatalf("requiredEC2 = %v", err)
	}
	if m := MissingMembers(&DeleteVpcInput{VpcID: "vpc-1"}); m != nil {
		t.Fatalf("MissingMembers of a complete input = %q", m)
	}
}
