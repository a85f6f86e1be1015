package control

import (
	"context"

	"github.com/plink-dev/plink/internal/store"
)

// ModifyVpcEndpointServicePayerResponsibilityInput is ec2
// modify-vpc-endpoint-service-payer-responsibility.
type ModifyVpcEndpointServicePayerResponsibilityInput struct {
	DryRun              bool   `json:"DryRun"`
	ServiceID           string `json:"ServiceId" aws:"required"`
	PayerResponsibility string `json:"PayerResponsibility" aws:"required"`
}

// ModifyVpcEndpointServicePayerResponsibilityOutput is {"ReturnValue": true}.
type ModifyVpcEndpointServicePayerResponsibilityOutput struct {
	ReturnValue bool `json:"ReturnValue" locationName:"return"`
}

// ModifyVpcEndpointServicePayerResponsibility makes the service owner pay
// for the endpoint connections of a service the caller owns. ServiceOwner
// is the only value AWS has, and there is no going back; describe shows
// PayerResponsibility from then on.
func (a *API) ModifyVpcEndpointServicePayerResponsibility(ctx context.Context, in *ModifyVpcEndpointServicePayerResponsibilityInput) (*ModifyVpcEndpointServicePayerResponsibilityOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.ModifyVpcEndpointServicePayerResponsibility)
	}
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	switch in.PayerResponsibility {
	case PayerResponsibilityServiceOwner:
	default:
		return nil, invalidValue("Value (%s) for parameter payerResponsibility is invalid. Valid values: %s.", in.PayerResponsibility, PayerResponsibilityServiceOwner)
	}
	err := a.write(ctx, func(tx *store.Tx) error {
		s, err := a.serviceOwned(tx, in.ServiceID)
		if err != nil {
			return err
		}
		if s.PayerResponsibility == in.PayerResponsibility {
			return nil
		}
		s.PayerResponsibility = in.PayerResponsibility
		return tx.UpdateService(s)
	})
	if err != nil {
		return nil, err
	}
	return &ModifyVpcEndpointServicePayerResponsibilityOutput{ReturnValue: true}, nil
}
