package control_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/control"
)

// drEC2Methods are the API's methods whose input has DryRun: every EC2
// action.
func drEC2Methods(t *testing.T) []reflect.Method {
	var out []reflect.Method
	at := reflect.TypeOf(&control.API{})
	ctxT := reflect.TypeOf((*context.Context)(nil)).Elem()
	for i := 0; i < at.NumMethod(); i++ {
		m := at.Method(i)
		ft := m.Type // receiver, ctx, in
		if ft.NumIn() != 3 || ft.In(1) != ctxT || ft.In(2).Kind() != reflect.Pointer || ft.NumOut() != 2 {
			continue
		}
		if f, ok := ft.In(2).Elem().FieldByName("DryRun"); ok && f.Type.Kind() == reflect.Bool {
			out = append(out, m)
		}
	}
	if len(out) < 30 {
		t.Fatalf("only %d actions with DryRun", len(out))
	}
	return out
}

// drCall calls method m of a with in.
func drCall(a *control.API, m reflect.Method, ctx context.Context, in reflect.Value) error {
	res := m.Func.Call([]reflect.Value{reflect.ValueOf(a), reflect.ValueOf(ctx), in})
	if err, _ := res[1].Interface().(error); err != nil {
		return err
	}
	return nil
}

// TestDryRunEveryAction calls every EC2 action with DryRun and no other
// member: it never succeeds and never changes the store; the describes
// answer DryRunOperation.
func TestDryRunEveryAction(t *testing.T) {
	e := cpNewEnv(t)
	e.readyService(true)
	for _, m := range drEC2Methods(t) {
		t.Run(m.Name, func(t *testing.T) {
			in := reflect.New(m.Type.In(2).Elem())
			in.Elem().FieldByName("DryRun").SetBool(true)
			rev0 := cpMust(e.st.Revision(e.ctx))(t)
			dump0 := cpDump(t, e.st)
			err := drCall(e.provider, m, e.ctx, in)
			if err == nil {
				t.Fatal("a dry run succeeded")
			}
			if _, ok := control.AsError(err); !ok {
				t.Fatalf("not an AWS error: %v", err)
			}
			if strings.HasPrefix(m.Name, "Describe") && len(control.MissingMembers(in.Interface())) == 0 {
				cpCode(t, err, control.ErrCodeDryRunOperation)
			}
			if rev1 := cpMust(e.st.Revision(e.ctx))(t); rev1 != rev0 {
				t.Errorf("revision moved from %d to %d", rev0, rev1)
			}
			if cpDump(t, e.st) != dump0 {
				t.Errorf("store content changed")
			}
		})
	}
}

// TestDryRunWrites runs each write as a dry run (DryRunOperation, the
// store unchanged), then for real (it succeeds: the dry run said true);
// dry runs that would fail answer the real error.
func TestDryRunWrites(t *testing.T) {
	e := cpNewEnv(t)
	svc := e.readyService(true)
	ep := e.endpoint(svc, "a")
	vpc := e.defaultVPC(e.provider).VpcID
	var groupID, newVpc, subnet string
	steps := []struct {
		name string
		call func(dry bool) error
	}{
		{"CreateVpc", func(dry bool) error {
			out, err := e.provider.CreateVpc(e.ctx, &control.CreateVpcInput{CidrBlock: "10.1.0.0/16", DryRun: dry})
			if err == nil {
				newVpc = out.Vpc.VpcID
			}
			return err
		}},
		{"CreateSubnet", func(dry bool) error {
			out, err := e.provider.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: newVpc, CidrBlock: "10.1.1.0/24", DryRun: dry})
			if err == nil {
				subnet = out.Subnet.SubnetID
			}
			return err
		}},
		{"CreateSecurityGroup", func(dry bool) error {
			out, err := e.provider.CreateSecurityGroup(e.ctx, &control.CreateSecurityGroupInput{GroupName: "dry", Description: "d", VpcID: vpc, DryRun: dry})
			if err == nil {
				groupID = out.GroupID
			}
			return err
		}},
		{"AuthorizeSecurityGroupIngress", func(dry bool) error {
			_, err := e.provider.AuthorizeSecurityGroupIngress(e.ctx, &control.AuthorizeSecurityGroupIngressInput{IngressInput: control.IngressInput{
				GroupID: groupID, IPProtocol: "tcp", FromPort: ptr(443), ToPort: ptr(443), CidrIP: "10.0.0.0/8", DryRun: dry}})
			return err
		}},
		{"ModifyVpcEndpointServicePermissions", func(dry bool) error {
			_, err := e.provider.ModifyVpcEndpointServicePermissions(e.ctx, &control.ModifyVpcEndpointServicePermissionsInput{
				ServiceID: svc.ServiceID, AddAllowedPrincipals: []string{"arn:aws:iam::" + cpOther + ":root"}, DryRun: dry})
			return err
		}},
		{"AcceptVpcEndpointConnections", func(dry bool) error {
			_, err := e.provider.AcceptVpcEndpointConnections(e.ctx, &control.AcceptVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{
				ServiceID: svc.ServiceID, VpcEndpointIDs: []string{ep.VpcEndpointID}, DryRun: dry}})
			return err
		}},
		{"CreateVpcEndpoint", func(dry bool) error {
			in := e.endpointInput(svc, "b")
			in.DryRun = dry
			_, err := e.consumer.CreateVpcEndpoint(e.ctx, &in)
			return err
		}},
		{"DeleteVpcEndpoints", func(dry bool) error {
			_, err := e.consumer.DeleteVpcEndpoints(e.ctx, &control.DeleteVpcEndpointsInput{VpcEndpointIDs: []string{ep.VpcEndpointID}, DryRun: dry})
			return err
		}},
		{"DeleteSubnet", func(dry bool) error {
			_, err := e.provider.DeleteSubnet(e.ctx, &control.DeleteSubnetInput{SubnetID: subnet, DryRun: dry})
			return err
		}},
		{"DeleteVpc", func(dry bool) error {
			_, err := e.provider.DeleteVpc(e.ctx, &control.DeleteVpcInput{VpcID: newVpc, DryRun: dry})
			return err
		}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			e.cpRefused(t, control.ErrCodeDryRunOperation, func() error { return s.call(true) })
			cpNoErr(t, s.call(false))
		})
	}
	// Dry runs that would fail answer the real error, and change nothing.
	e.cpRefused(t, control.ErrCodeInvalidVpcIDNotFound, func() error {
		_, err := e.provider.CreateSubnet(e.ctx, &control.CreateSubnetInput{VpcID: "vpc-0123456789abcdef0", CidrBlock: "10.9.0.0/24", DryRun: true})
		return err
	})
	e.cpRefused(t, control.ErrCodeMissingParameter, func() error {
		_, err := e.provider.CreateSecurityGroup(e.ctx, &control.CreateSecurityGroupInput{GroupName: "x", DryRun: true})
		return err
	})
	e.cpRefused(t, control.ErrCodeInvalidGroupDuplicate, func() error {
		_, err := e.provider.CreateSecurityGroup(e.ctx, &control.CreateSecurityGroupInput{GroupName: "dry", Description: "d", VpcID: vpc, DryRun: true})
		return err
	})
	// The consumer may not see the provider's service configuration.
	e.cpRefused(t, control.ErrCodeInvalidVpcEndpointServiceIDNotFound, func() error {
		_, err := e.consumer.DescribeVpcEndpointServicePermissions(e.ctx, &control.DescribeVpcEndpointServicePermissionsInput{ServiceID: svc.ServiceID, DryRun: true})
		return err
	})
}

// TestDryRunFirstUse: a dry run on a fresh account does not create the
// default VPC that a first real use creates.
func TestDryRunFirstUse(t *testing.T) {
	e := cpNewEnv(t)
	a := e.api(cpOther)
	e.cpRefused(t, control.ErrCodeDryRunOperation, func() error {
		_, err := a.DescribeVpcs(e.ctx, &control.DescribeVpcsInput{DryRun: true})
		return err
	})
	e.cpRefused(t, control.ErrCodeDryRunOperation, func() error {
		_, err := a.CreateSecurityGroup(e.ctx, &control.CreateSecurityGroupInput{GroupName: "g", Description: "d", DryRun: true})
		return err
	})
}
