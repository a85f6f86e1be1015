package control_test

import (
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/control"
)

// TestCallerValidation: the caller is an account and an IAM principal of
// that same account. Anything else is refused by New with
// InvalidClientTokenId before the API can act, so no entry point (flags,
// environment, config profiles, HTTP) can act as a forged principal.
func TestCallerValidation(t *testing.T) {
	st := cpNewStore(t)
	tests := []struct {
		name      string
		caller    control.Caller
		code      string // "" = accepted
		principal string // the principal the accepted API acts as
	}{
		{"root", control.Caller{Account: cpConsumer, Principal: "arn:aws:iam::222222222222:root", Region: cpRegion}, "", "arn:aws:iam::222222222222:root"},
		{"empty principal is the root", control.Caller{Account: cpConsumer, Region: cpRegion}, "", "arn:aws:iam::222222222222:root"},
		{"user", control.Caller{Account: cpConsumer, Principal: "arn:aws:iam::222222222222:user/alice", Region: cpRegion}, "", "arn:aws:iam::222222222222:user/alice"},
		{"role with a path", control.Caller{Account: cpConsumer, Principal: "arn:aws:iam::222222222222:role/ci/deploy", Region: cpRegion}, "", "arn:aws:iam::222222222222:role/ci/deploy"},
		{"root of another account", control.Caller{Account: cpOther, Principal: "arn:aws:iam::222222222222:root", Region: cpRegion}, control.ErrCodeInvalidClientTokenID, ""},
		{"role of another account", control.Caller{Account: cpOther, Principal: "arn:aws:iam::222222222222:role/app", Region: cpRegion}, control.ErrCodeInvalidClientTokenID, ""},
		{"garbage", control.Caller{Account: cpConsumer, Principal: "garbage", Region: cpRegion}, control.ErrCodeInvalidClientTokenID, ""},
		{"star", control.Caller{Account: cpConsumer, Principal: "*", Region: cpRegion}, control.ErrCodeInvalidClientTokenID, ""},
		{"account number", control.Caller{Account: cpConsumer, Principal: "222222222222", Region: cpRegion}, control.ErrCodeInvalidClientTokenID, ""},
		{"STS session", control.Caller{Account: cpConsumer, Principal: "arn:aws:sts::222222222222:assumed-role/app/s1", Region: cpRegion}, control.ErrCodeInvalidClientTokenID, ""},
		{"group", control.Caller{Account: cpConsumer, Principal: "arn:aws:iam::222222222222:group/admins", Region: cpRegion}, control.ErrCodeInvalidClientTokenID, ""},
		{"name with a space", control.Caller{Account: cpConsumer, Principal: "arn:aws:iam::222222222222:user/a b", Region: cpRegion}, control.ErrCodeInvalidClientTokenID, ""},
		{"name with ESC", control.Caller{Account: cpConsumer, Principal: "arn:aws:iam::222222222222:user/a\x1b[2J", Region: cpRegion}, control.ErrCodeInvalidClientTokenID, ""},
		{"name too long", control.Caller{Account: cpConsumer, Principal: "arn:aws:iam::222222222222:user/" + strings.Repeat("a", 65), Region: cpRegion}, control.ErrCodeInvalidClientTokenID, ""},
		{"other partition", control.Caller{Account: cpConsumer, Principal: "arn:aws-cn:iam::222222222222:root", Region: cpRegion}, control.ErrCodeInvalidClientTokenID, ""},
		{"short account", control.Caller{Account: "2222", Region: cpRegion}, control.ErrCodeInvalidClientTokenID, ""},
		{"bad region", control.Caller{Account: cpConsumer, Region: "mars"}, control.ErrCodeInvalidParameterValue, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, err := control.New(st, tt.caller)
			if tt.code != "" {
				cpCode(t, err, tt.code)
				if api != nil {
					t.Fatal("New returned an API along with its error")
				}
				return
			}
			cpNoErr(t, err)
			id := cpMust(api.GetCallerIdentity(t.Context(), &control.GetCallerIdentityInput{}))(t)
			if id.Account != tt.caller.Account || id.Arn != tt.principal {
				t.Fatalf("GetCallerIdentity = %+v, want account %s and ARN %s", id, tt.caller.Account, tt.principal)
			}
		})
	}
}

// TestForgedPrincipalCannotConnect is the attack of issue 8: a third
// account names the consumer's root as its principal to pass a service's
// allowed-principals check. It never gets an API to do it with, and the
// service's real consumer still can.
func TestForgedPrincipalCannotConnect(t *testing.T) {
	e := cpNewEnv(t)
	svc := e.service(false, "", e.providerNLB("forged-nlb"))
	e.allow(svc.ServiceID, "arn:aws:iam::222222222222:root")
	third := e.api(cpOther)
	cpMust(third.DescribeVpcs(e.ctx, &control.DescribeVpcsInput{}))(t)
	rev := cpMust(e.st.Revision(e.ctx))(t)
	forged, err := control.New(e.st, control.Caller{Account: cpOther, Principal: "arn:aws:iam::222222222222:root", Region: cpRegion})
	cpCode(t, err, control.ErrCodeInvalidClientTokenID)
	if forged != nil {
		t.Fatal("New returned an API for a forged principal")
	}
	if got := cpMust(e.st.Revision(e.ctx))(t); got != rev {
		t.Errorf("store revision moved from %d to %d", rev, got)
	}
	e.cpRefused(t, "InvalidServiceName", func() error {
		in := e.endpointInput(svc, "a")
		in.VpcID = e.defaultVPC(third).VpcID
		in.SubnetIDs = []string{e.defaultSubnets(third)["a"].SubnetID}
		_, err := third.CreateVpcEndpoint(e.ctx, &in)
		return err
	})
	ep := e.endpoint(svc, "a")
	if ep.State != "available" {
		t.Errorf("the allowed consumer's endpoint is %s", ep.State)
	}
}
