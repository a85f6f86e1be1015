package control

import (
	"context"
	"strings"

	"github.com/plink-dev/plink/internal/store"
)

// ELBTag is ELBv2's Tag: unlike EC2's, its model requires the Key (a tag
// without one is a usage error in the CLI, a ValidationError in control).
type ELBTag struct {
	Key   string `json:"Key" aws:"required"`
	Value string `json:"Value"`
}

// TagDescription is one resource's tags.
type TagDescription struct {
	ResourceARN string   `json:"ResourceArn"`
	Tags        []ELBTag `json:"Tags"`
}

// DescribeTagsInput is elbv2 describe-tags.
type DescribeTagsInput struct {
	ResourceARNs []string `json:"ResourceArns" aws:"required"`
}

// DescribeTagsOutput is {"TagDescriptions": [...]}.
type DescribeTagsOutput struct {
	TagDescriptions []TagDescription `json:"TagDescriptions"`
}

// AddTagsInput is elbv2 add-tags.
type AddTagsInput struct {
	ResourceARNs []string `json:"ResourceArns" aws:"required"`
	Tags         []ELBTag `json:"Tags" aws:"required"`
}

// AddTagsOutput is empty.
type AddTagsOutput struct{}

// RemoveTagsInput is elbv2 remove-tags.
type RemoveTagsInput struct {
	ResourceARNs []string `json:"ResourceArns" aws:"required"`
	TagKeys      []string `json:"TagKeys" aws:"required"`
}

// RemoveTagsOutput is empty.
type RemoveTagsOutput struct{}

// elbOwnedResource checks that arn is a load balancer, target group or
// listener of the caller.
func (a *API) elbOwnedResource(tx *store.Tx, arn string) error {
	var err error
	switch {
	case strings.Contains(arn, ":loadbalancer/"):
		_, err = a.elbOwnedLB(tx, arn)
	case strings.Contains(arn, ":targetgroup/"):
		_, err = a.elbOwnedTG(tx, arn)
	case strings.Contains(arn, ":listener/"):
		_, err = a.elbOwnedListener(tx, arn)
	default:
		err = elbValidation("'%s' is not a valid load balancer, target group or listener ARN", arn)
	}
	return err
}

func elbCheckResourceARNs(arns []string) error {
	if len(arns) == 0 {
		return elbValidation("At least one resource ARN must be specified")
	}
	if len(arns) > 20 {
		return elbValidation("At most 20 resource ARNs can be specified")
	}
	return nil
}

// AddTags adds or replaces tags on load balancers, target groups and
// listeners.
func (a *API) AddTags(ctx context.Context, in *AddTagsInput) (*AddTagsOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	if err := elbCheckResourceARNs(in.ResourceARNs); err != nil {
		return nil, err
	}
	tags, err := elbTags(in.Tags)
	if err != nil {
		return nil, err
	}
	return done[AddTagsOutput](a.write(ctx, func(tx *store.Tx) error {
		for _, arn := range in.ResourceARNs {
			if err := a.elbOwnedResource(tx, arn); err != nil {
				return err
			}
			if err := putTags(tx, arn, tags, ErrCodeTooManyTags); err != nil {
				return err
			}
		}
		return nil
	}))
}

// RemoveTags removes tag keys from load balancers, target groups and
// listeners.
func (a *API) RemoveTags(ctx context.Context, in *RemoveTagsInput) (*RemoveTagsOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	if err := elbCheckResourceARNs(in.ResourceARNs); err != nil {
		return nil, err
	}
	if err := checkListLen(ErrCodeValidationError, "TagKeys", len(in.TagKeys), maxIDsPerRequest); err != nil {
		return nil, err
	}
	return done[RemoveTagsOutput](a.write(ctx, func(tx *store.Tx) error {
		for _, arn := range in.ResourceARNs {
			if err := a.elbOwnedResource(tx, arn); err != nil {
				return err
			}
			if err := tx.RemoveTags(arn, in.TagKeys); err != nil {
				return err
			}
		}
		return nil
	}))
}

// DescribeTags lists the tags of load balancers, target groups and
// listeners.
func (a *API) DescribeTags(ctx context.Context, in *DescribeTagsInput) (*DescribeTagsOutput, error) {
	if err := requiredELB(in); err != nil {
		return nil, err
	}
	arns := in.ResourceARNs
	if err := a.ensureDefaultVPC(ctx); err != nil {
		return nil, err
	}

	if err := elbCheckResourceARNs(arns); err != nil {
		return nil, err
	}
	out := &DescribeTagsOutput{TagDescriptions: []TagDescription{}}
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		for _, arn := range arns {
			if err := a.elbOwnedResource(tx, arn); err != nil {
				return err
			}
			tags, err := a.tags(tx, arn)
			if err != nil {
				return err
			}
			d := TagDescription{ResourceARN: arn, Tags: make([]ELBTag, len(tags))}
			for i, t := range tags {
				d.Tags[i] = ELBTag(t)
			}
			out.TagDescriptions = append(out.TagDescriptions, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
