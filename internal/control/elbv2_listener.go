package control

import (
	"context"
	"strings"

	"github.com/plink-dev/plink/internal/names"
	"github.com/plink-dev/plink/internal/store"
)

// Listener is the elbv2 Listener shape.
type Listener struct {
	ListenerARN     string   `json:"ListenerArn"`
	LoadBalancerARN string   `json:"LoadBalancerArn"`
	Port            int      `json:"Port"`
	Protocol        string   `json:"Protocol"`
	DefaultActions  []Action `json:"DefaultActions"`
}

// Action is a listener action; plink has forward actions to one group.
type Action struct {
	Type           string               `json:"Type" aws:"required"`
	TargetGroupARN string               `json:"TargetGroupArn,omitempty"`
	ForwardConfig  *ForwardActionConfig `json:"ForwardConfig,omitempty"`
}

// ForwardActionConfig is the forward action's target groups.
type ForwardActionConfig struct {
	TargetGroups                []TargetGroupTuple           `json:"TargetGroups"`
	TargetGroupStickinessConfig *TargetGroupStickinessConfig `json:"TargetGroupStickinessConfig,omitempty"`
}

// TargetGroupTuple is a target group and its weight.
type TargetGroupTuple struct {
	TargetGroupARN string `json:"TargetGroupArn"`
	Weight         *int   `json:"Weight,omitempty"`
}

// TargetGroupStickinessConfig is {"Enabled": false}.
type TargetGroupStickinessConfig struct {
	Enabled bool `json:"Enabled"`
}

// ListenersOutput is {"Listeners": [...]}.
type ListenersOutput struct {
	Listeners []Listener `json:"Listeners"`
}

// CreateListenerInput is elbv2 create-listener. SslPolicy, Certificates and
// AlpnPolicy are a TLS listener's: plink's listeners are TCP (Protocol TLS
// is refused), so they are refused with AWS's ValidationError for them on
// a TCP listener.
type CreateListenerInput struct {
	LoadBalancerARN string        `json:"LoadBalancerArn" aws:"required"`
	Protocol        string        `json:"Protocol"` // TCP
	Port            int           `json:"Port"`
	SslPolicy       string        `json:"SslPolicy"`
	Certificates    []Certificate `json:"Certificates"`
	DefaultActions  []Action      `json:"DefaultActions" aws:"required"`
	AlpnPolicy      []string      `json:"AlpnPolicy"`
	Tags            []ELBTag      `json:"Tags"`
}

// Certificate is an elbv2 listener's certificate (TLS listeners only).
type Certificate struct {
	CertificateArn string `json:"CertificateArn"`
	IsDefault      *bool  `json:"IsDefault"`
}

// elbNoTLS refuses a TLS listener's members on plink's TCP listeners, with
// AWS's errors for them on a TCP listener (its "specifed" included).
func elbNoTLS(sslPolicy string, certs []Certificate, alpn []string) error {
	switch {
	case sslPolicy != "":
		return elbValidation("An SSL policy cannot be specifed for TCP listeners")
	case len(certs) > 0:
		return elbValidation("A certificate cannot be specified for TCP listeners")
	case len(alpn) > 0:
		return elbValidation("An ALPN policy cannot be specified for TCP listeners")
	}
	return nil
}

// CreateListenerOutput is {"Listeners": [...]}.
type CreateListenerOutput ListenersOutput

func elbCheckProtocol(p string) error {
	switch strings.ToUpper(p) {
	case "TCP":
		return nil
	case "":
		return elbValidation("A protocol must be specified (--protocol TCP)")
	case "UDP", "TLS", "TCP_UDP", "HTTP", "HTTPS", "QUIC", "TCP_QUIC":
		return elbValidation("Protocol '%s' is not supported: plink listeners are TCP only", p)
	}
	return elbValidation("Protocol '%s' is not valid: it must be TCP", p)
}

// elbForwardTarget returns the one target group the actions forward to.
func elbForwardTarget(actions []Action) (string, error) {
	if len(actions) == 0 {
		return "", elbValidation("A default action must be specified (--default-actions Type=forward,TargetGroupArn=ARN)")
	}
	if len(actions) > 1 {
		return "", elbValidation("plink listeners take one default action, a forward to one target group")
	}
	act := actions[0]
	if act.Type != "forward" {
		return "", elbValidation("Action type '%s' is not supported: plink listeners take only forward actions", act.Type)
	}
	arn := act.TargetGroupARN
	if fc := act.ForwardConfig; fc != nil {
		if len(fc.TargetGroups) != 1 {
			return "", elbValidation("plink forward actions take exactly one target group")
		}
		if arn != "" && arn != fc.TargetGroups[0].TargetGroupARN {
			return "", elbValidation("The target group of TargetGroupArn and of ForwardConfig must be the same")
		}
		arn = fc.TargetGroups[0].TargetGroupARN
	}
	if arn == "" {
		return "", elbValidation("A forward action needs a target group ARN")
	}
	return arn, nil
}

// elbCheckForward checks that a listener of lb may forward to the target
// group tgARN: the caller's, in the same VPC, used by no other load balancer.
func (a *API) elbCheckForward(tx *store.Tx, lb store.LoadBalancer, tgARN string) error {
	g, err := a.elbOwnedTG(tx, tgARN)
	if err != nil {
		return err
	}
	if g.VPCID != lb.VPCID {
		return elbValidation("Target group '%s' is in VPC %s, but load balancer '%s' is in VPC %s", g.ARN, g.VPCID, lb.ARN, lb.VPCID)
	}
	if g.IPAddressType == "ipv6" && lb.IPAddressType != "dualstack" {
		return elbValidation("Target group '%s' has IPv6 targets: only a dualstack load balancer can forward to it", g.ARN)
	}
	lbs, err := tx.TargetGroupLoadBalancers(g.ARN)
	if err != nil {
		return err
	}
	for _, other := range lbs {
		if other != lb.ARN {
			return Errorf(ErrCodeTargetGroupAssociationLimit, "The following target groups cannot be associated with more than one load balancer: %s", g.ARN)
		}
	}
	return nil
}

// CreateListener adds a TCP listener forwarding to one target group.
// Creating one again with the same settings returns the existing one.
func (a *API) CreateListener(ctx context.Context, in *CreateListenerInput) (*CreateListenerOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	out, err := a.createListener(ctx, in)
	return (*CreateListenerOutput)(out), err
}

func (a *API) createListener(ctx context.Context, in *CreateListenerInput) (*ListenersOutput, error) {
	if err := elbCheckProtocol(in.Protocol); err != nil {
		return nil, err
	}
	if err := elbNoTLS(in.SslPolicy, in.Certificates, in.AlpnPolicy); err != nil {
		return nil, err
	}
	if err := elbCheckPort("Port", in.Port); err != nil {
		return nil, err
	}
	tgARN, err := elbForwardTarget(in.DefaultActions)
	if err != nil {
		return nil, err
	}
	tags, err := elbTags(in.Tags)
	if err != nil {
		return nil, err
	}
	var out *ListenersOutput
	err = a.write(ctx, func(tx *store.Tx) error {
		lb, err := a.elbOwnedLB(tx, in.LoadBalancerARN)
		if err != nil {
			return err
		}
		if err := a.elbCheckForward(tx, lb, tgARN); err != nil {
			return err
		}
		ls, err := tx.Listeners(lb.ARN, nil)
		if err != nil {
			return err
		}
		for _, l := range ls {
			if l.Port != in.Port {
				continue
			}
			if l.TGARN == tgARN && l.Protocol == "TCP" {
				out = &ListenersOutput{Listeners: []Listener{elbListenerView(l)}}
				return nil
			}
			return Errorf(ErrCodeDuplicateListener, "A listener already exists on port %d of load balancer '%s'", in.Port, lb.ARN)
		}
		l := store.Listener{ARN: names.ListenerARN(lb.ARN, names.RandomHex(16)), LBARN: lb.ARN, Protocol: "TCP",
			Port: in.Port, TGARN: tgARN, CreatedAt: timestamp(a.now())}
		if err := tx.InsertListener(l); err != nil {
			return err
		}
		if err := putTags(tx, l.ARN, tags, ErrCodeTooManyTags); err != nil {
			return err
		}
		out = &ListenersOutput{Listeners: []Listener{elbListenerView(l)}}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func elbListenerView(l store.Listener) Listener {
	one := 1
	return Listener{ListenerARN: l.ARN, LoadBalancerARN: l.LBARN, Port: l.Port, Protocol: l.Protocol,
		DefaultActions: []Action{{Type: "forward", TargetGroupARN: l.TGARN, ForwardConfig: &ForwardActionConfig{
			TargetGroups:                []TargetGroupTuple{{TargetGroupARN: l.TGARN, Weight: &one}},
			TargetGroupStickinessConfig: &TargetGroupStickinessConfig{Enabled: false}}}}}
}

// DescribeListenersInput is elbv2 describe-listeners: a load balancer or
// listener ARNs.
type DescribeListenersInput struct {
	LoadBalancerARN string   `json:"LoadBalancerArn"`
	ListenerARNs    []string `json:"ListenerArns"`
	ELBPaging
}

// DescribeListenersOutput is {"Listeners": [...]}.
type DescribeListenersOutput struct {
	Listeners  []Listener `json:"Listeners"`
	NextMarker string     `json:"NextMarker,omitempty"`
}

// DescribeListeners lists a load balancer's listeners, or the ones named.
func (a *API) DescribeListeners(ctx context.Context, in *DescribeListenersInput) (*DescribeListenersOutput, error) {
	if err := checkPaging(a, in); err != nil {
		return nil, err
	}
	if err := a.ensureDefaultVPC(ctx); err != nil {
		return nil, err
	}
	if (in.LoadBalancerARN == "") == (len(in.ListenerARNs) == 0) {
		return nil, elbValidation("Specify either a load balancer ARN or listener ARNs")
	}
	out := &DescribeListenersOutput{Listeners: []Listener{}}
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		if in.LoadBalancerARN != "" {
			lb, err := a.elbOwnedLB(tx, in.LoadBalancerARN)
			if err != nil {
				return err
			}
			ls, err := tx.Listeners(lb.ARN, nil)
			if err != nil {
				return err
			}
			for _, l := range ls {
				out.Listeners = append(out.Listeners, elbListenerView(l))
			}
			return nil
		}
		for _, arn := range in.ListenerARNs {
			l, err := a.elbOwnedListener(tx, arn)
			if err != nil {
				return err
			}
			out.Listeners = append(out.Listeners, elbListenerView(l))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Listeners, out.NextMarker, err = pageELB(a, in, out.Listeners, func(v Listener) string { return v.ListenerARN })
	return out, err
}

// ModifyListenerInput is elbv2 modify-listener; what is not given keeps
// its value. SslPolicy, Certificates and AlpnPolicy are refused as in
// create-listener: plink's listeners are TCP.
type ModifyListenerInput struct {
	ListenerARN    string        `json:"ListenerArn" aws:"required"`
	Port           *int          `json:"Port"`
	Protocol       string        `json:"Protocol"`
	SslPolicy      string        `json:"SslPolicy"`
	Certificates   []Certificate `json:"Certificates"`
	DefaultActions []Action      `json:"DefaultActions"`
	AlpnPolicy     []string      `json:"AlpnPolicy"`
}

// ModifyListenerOutput is {"Listeners": [...]}.
type ModifyListenerOutput ListenersOutput

// ModifyListener changes a listener's port or target group.
func (a *API) ModifyListener(ctx context.Context, in *ModifyListenerInput) (*ModifyListenerOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	out, err := a.modifyListener(ctx, in)
	return (*ModifyListenerOutput)(out), err
}

func (a *API) modifyListener(ctx context.Context, in *ModifyListenerInput) (*ListenersOutput, error) {
	if in.Protocol != "" {
		if err := elbCheckProtocol(in.Protocol); err != nil {
			return nil, err
		}
	}
	if err := elbNoTLS(in.SslPolicy, in.Certificates, in.AlpnPolicy); err != nil {
		return nil, err
	}
	if in.Port != nil {
		if err := elbCheckPort("Port", *in.Port); err != nil {
			return nil, err
		}
	}
	var tgARN string
	if in.DefaultActions != nil {
		var err error
		if tgARN, err = elbForwardTarget(in.DefaultActions); err != nil {
			return nil, err
		}
	}
	var out *ListenersOutput
	err := a.write(ctx, func(tx *store.Tx) error {
		l, err := a.elbOwnedListener(tx, in.ListenerARN)
		if err != nil {
			return err
		}
		before := l
		if in.Port != nil && *in.Port != l.Port {
			ls, err := tx.Listeners(l.LBARN, nil)
			if err != nil {
				return err
			}
			for _, o := range ls {
				if o.Port == *in.Port {
					return Errorf(ErrCodeDuplicateListener, "A listener already exists on port %d of load balancer '%s'", o.Port, l.LBARN)
				}
			}
			l.Port = *in.Port
		}
		if tgARN != "" && tgARN != l.TGARN {
			lb, err := tx.LoadBalancer(l.LBARN)
			if err != nil {
				return err
			}
			if err := a.elbCheckForward(tx, lb, tgARN); err != nil {
				return err
			}
			l.TGARN = tgARN
		}
		if l != before {
			if err := tx.UpdateListener(l); err != nil {
				return err
			}
		}
		out = &ListenersOutput{Listeners: []Listener{elbListenerView(l)}}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteListenerInput is elbv2 delete-listener.
type DeleteListenerInput struct {
	ListenerARN string `json:"ListenerArn" aws:"required"`
}

// DeleteListenerOutput is empty.
type DeleteListenerOutput struct{}

// DeleteListener deletes a listener.
func (a *API) DeleteListener(ctx context.Context, in *DeleteListenerInput) (*DeleteListenerOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	return done[DeleteListenerOutput](a.write(ctx, func(tx *store.Tx) error {
		l, err := a.elbOwnedListener(tx, in.ListenerARN)
		if err != nil {
			return err
		}
		return tx.DeleteListener(l.ARN)
	}))
}
