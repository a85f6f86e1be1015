package control_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/snapshot"
)

// TestSnapshotSinceMatchesFull makes a random sequence of changes through
// the control plane and checks after each that the incremental snapshot
// (store.SnapshotSince from the one before, and from one several changes
// back) equals a full load.
func TestSnapshotSinceMatchesFull(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	e := cpNewEnv(t)
	ctx := e.ctx
	svcAuto := e.readyService(false)
	svcAcc := e.readyService(true)
	vpc := e.defaultVPC(e.consumer).VpcID
	ds := e.defaultSubnets(e.consumer)
	zones := []string{"a", "b", "c"}
	pv := e.defaultVPC(e.provider).VpcID
	tg := cpMust(e.provider.CreateTargetGroup(ctx, &control.CreateTargetGroupInput{Name: "tg-x", Protocol: "TCP", Port: 80,
		VpcID: pv, TargetType: "ip"}))(t).TargetGroups[0].TargetGroupARN
	lbARN := cpMust(e.provider.DescribeVpcEndpointServiceConfigurations(ctx, &control.DescribeVpcEndpointServiceConfigurationsInput{
		ServiceIDs: []string{svcAuto.ServiceID}}))(t).ServiceConfigurations[0].NetworkLoadBalancerArns[0]
	var eps, groups, listeners []string
	pick := func(s []string) string { return s[rng.IntN(len(s))] }

	ops := []struct {
		name string
		do   func() error
	}{
		{"create endpoint", func() error {
			svc := svcAuto
			if rng.IntN(2) == 0 {
				svc = svcAcc
			}
			in := e.endpointInput(svc, zones[:1+rng.IntN(3)]...)
			out, err := e.consumer.CreateVpcEndpoint(ctx, &in)
			if err == nil {
				eps = append(eps, out.VpcEndpoint.VpcEndpointID)
			}
			return err
		}},
		{"accept", func() error {
			if len(eps) == 0 {
				return nil
			}
			_, err := e.provider.AcceptVpcEndpointConnections(ctx, &control.AcceptVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{
				ServiceID: svcAcc.ServiceID, VpcEndpointIDs: []string{pick(eps)}}})
			return err
		}},
		{"reject", func() error {
			if len(eps) == 0 {
				return nil
			}
			_, err := e.provider.RejectVpcEndpointConnections(ctx, &control.RejectVpcEndpointConnectionsInput{ConnectionsInput: control.ConnectionsInput{
				ServiceID: svcAcc.ServiceID, VpcEndpointIDs: []string{pick(eps)}}})
			return err
		}},
		{"delete endpoint", func() error {
			if len(eps) == 0 {
				return nil
			}
			_, err := e.consumer.DeleteVpcEndpoints(ctx, &control.DeleteVpcEndpointsInput{VpcEndpointIDs: []string{pick(eps)}})
			return err
		}},
		{"modify endpoint subnets", func() error {
			if len(eps) == 0 {
				return nil
			}
			in := control.ModifyVpcEndpointInput{VpcEndpointID: pick(eps)}
			s := ds[pick(zones)].SubnetID
			if rng.IntN(2) == 0 {
				in.AddSubnetIDs = []string{s}
			} else {
				in.RemoveSubnetIDs = []string{s}
			}
			_, err := e.consumer.ModifyVpcEndpoint(ctx, &in)
			return err
		}},
		{"modify endpoint groups", func() error {
			if len(eps) == 0 || len(groups) == 0 {
				return nil
			}
			in := control.ModifyVpcEndpointInput{VpcEndpointID: pick(eps)}
			if rng.IntN(2) == 0 {
				in.AddSecurityGroupIDs = []string{pick(groups)}
			} else {
				in.RemoveSecurityGroupIDs = []string{pick(groups)}
			}
			_, err := e.consumer.ModifyVpcEndpoint(ctx, &in)
			return err
		}},
		{"create group", func() error {
			out, err := e.consumer.CreateSecurityGroup(ctx, &control.CreateSecurityGroupInput{GroupName: fmt.Sprintf("g%d", rng.Int()),
				Description: "d", VpcID: vpc})
			if err == nil {
				groups = append(groups, out.GroupID)
			}
			return err
		}},
		{"authorize cidr", func() error {
			if len(groups) == 0 {
				return nil
			}
			p := 1000 + rng.IntN(50)
			_, err := e.consumer.AuthorizeSecurityGroupIngress(ctx, &control.AuthorizeSecurityGroupIngressInput{IngressInput: control.IngressInput{
				GroupID: pick(groups), IPProtocol: "tcp", FromPort: &p, ToPort: &p, CidrIP: "10.1.0.0/16"}})
			return err
		}},
		{"authorize source group", func() error {
			if len(groups) < 2 {
				return nil
			}
			p := 2000 + rng.IntN(50)
			_, err := e.consumer.AuthorizeSecurityGroupIngress(ctx, &control.AuthorizeSecurityGroupIngressInput{IngressInput: control.IngressInput{
				GroupID: pick(groups), IPPermissions: []control.IPPermission{{IPProtocol: "tcp", FromPort: &p, ToPort: &p,
					UserIDGroupPairs: []control.UserIDGroupPair{{GroupID: pick(groups)}}}}}})
			return err
		}},
		{"revoke", func() error {
			if len(groups) == 0 {
				return nil
			}
			p := 1000 + rng.IntN(50)
			_, err := e.consumer.RevokeSecurityGroupIngress(ctx, &control.RevokeSecurityGroupIngressInput{IngressInput: control.IngressInput{
				GroupID: pick(groups), IPProtocol: "tcp", FromPort: &p, ToPort: &p, CidrIP: "10.1.0.0/16"}})
			return err
		}},
		{"register target", func() error {
			p := 80 + rng.IntN(5)
			_, err := e.provider.RegisterTargets(ctx, &control.RegisterTargetsInput{TargetsInput: control.TargetsInput{TargetGroupARN: tg,
				Targets: []control.TargetDescription{{ID: "127.0.0.1", Port: &p}}}})
			return err
		}},
		{"deregister target", func() error {
			p := 80 + rng.IntN(5)
			_, err := e.provider.DeregisterTargets(ctx, &control.DeregisterTargetsInput{TargetsInput: control.TargetsInput{TargetGroupARN: tg,
				Targets: []control.TargetDescription{{ID: "127.0.0.1", Port: &p}}}})
			return err
		}},
		{"tg attribute", func() error {
			_, err := e.provider.ModifyTargetGroupAttributes(ctx, &control.ModifyTargetGroupAttributesInput{TargetGroupARN: tg,
				Attributes: []control.ELBAttribute{{Key: "proxy_protocol_v2.enabled", Value: fmt.Sprint(rng.IntN(2) == 0)}}})
			return err
		}},
		{"create listener", func() error {
			out, err := e.provider.CreateListener(ctx, &control.CreateListenerInput{LoadBalancerARN: lbARN, Protocol: "TCP",
				Port: 9000 + rng.IntN(20), DefaultActions: []control.Action{{Type: "forward", TargetGroupARN: tg}}})
			if err == nil {
				listeners = append(listeners, out.Listeners[0].ListenerARN)
			}
			return err
		}},
		{"delete listener", func() error {
			if len(listeners) == 0 {
				return nil
			}
			_, err := e.provider.DeleteListener(ctx, &control.DeleteListenerInput{ListenerARN: pick(listeners)})
			return err
		}},
		{"tag endpoint", func() error {
			if len(eps) == 0 {
				return nil
			}
			_, err := e.consumer.CreateTags(ctx, &control.CreateTagsInput{Resources: []string{pick(eps)}, Tags: []control.Tag{{Key: "k", Value: "v"}}})
			return err
		}},
	}

	prev := cpMust(e.st.Snapshot(ctx))(t)
	var history []*snapshot.Snapshot
	done := map[string]int{}
	defer func() { t.Logf("changes made: %v", done) }()
	for i := 0; i < 200; i++ {
		op := ops[rng.IntN(len(ops))]
		err := op.do()
		if err == nil {
			done[op.name]++
		}
		inc := cpMust(e.st.SnapshotSince(ctx, prev))(t)
		full := cpMust(e.st.Snapshot(ctx))(t)
		if d := snapDiff(inc, full); d != "" {
			t.Fatalf("step %d (%s, err %v): incremental snapshot differs from a full one: %s", i, op.name, err, d)
		}
		if len(history) > 5 {
			old := history[len(history)-1-rng.IntN(5)]
			if d := snapDiff(cpMust(e.st.SnapshotSince(ctx, old))(t), full); d != "" {
				t.Fatalf("step %d: incremental snapshot from revision %d differs from a full one: %s", i, old.Revision, d)
			}
		}
		history = append(history, inc)
		prev = inc
	}
}

// snapDiff names the first section where a and b differ (Taken aside).
func snapDiff(a, b *snapshot.Snapshot) string {
	if a.Revision != b.Revision {
		return fmt.Sprintf("revision %d, want %d", a.Revision, b.Revision)
	}
	for _, s := range []struct {
		name string
		x, y any
	}{{"VPCs", a.VPCs, b.VPCs}, {"load balancers", a.LoadBalancers, b.LoadBalancers}, {"target groups", a.TargetGroups, b.TargetGroups},
		{"services", a.Services, b.Services}, {"endpoints", a.Endpoints, b.Endpoints}, {"security groups", a.SecurityGroups, b.SecurityGroups}} {
		if !reflect.DeepEqual(s.x, s.y) {
			return fmt.Sprintf("%s:\n got  %+v\n want %+v", s.name, s.x, s.y)
		}
	}
	return ""
}
