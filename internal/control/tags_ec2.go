package control

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/plink-dev/plink/internal/names"
	"github.com/plink-dev/plink/internal/store"
)

// This file is ec2 create-tags, delete-tags and describe-tags on every EC2
// resource plink has that AWS can tag: VPCs, subnets, security groups,
// endpoints, endpoint services and network interfaces. A caller tags only
// what it owns; anything else is the resource's NotFound error, as on AWS.
// Connection notifications are not taggable: AWS has no tag resource type
// for them (ResourceType in the EC2 model).

// ec2TagResourceTypes maps an ID prefix to the ResourceType describe-tags
// shows. vpce-svc comes before vpce only for reading: names.ValidID tells
// them apart.
var ec2TagResourceTypes = []struct{ prefix, resourceType string }{
	{names.Service, "vpc-endpoint-service"},
	{names.Endpoint, "vpc-endpoint"},
	{names.VPC, "vpc"},
	{names.Subnet, "subnet"},
	{names.SecurityGroup, "security-group"},
	{names.ENI, "network-interface"},
}

// ec2ResourceType returns the ResourceType of an ID, "" for an ID of no
// taggable kind.
func ec2ResourceType(id string) string {
	for _, t := range ec2TagResourceTypes {
		if names.ValidID(t.prefix, id) {
			return t.resourceType
		}
	}
	return ""
}

// ec2OwnedResource checks that id is a taggable resource of the caller.
func (a *API) ec2OwnedResource(tx *store.Tx, id string) error {
	var err error
	switch ec2ResourceType(id) {
	case "vpc":
		_, err = a.ownedVPC(tx, id)
	case "subnet":
		_, err = a.ownedSubnet(tx, id)
	case "security-group":
		_, err = a.ownedGroup(tx, id, "")
	case "vpc-endpoint":
		_, err = a.ownedEndpoint(tx, id)
	case "vpc-endpoint-service":
		_, err = a.serviceOwned(tx, id)
	case "network-interface":
		n, gerr := tx.ENI(id)
		if errors.Is(gerr, store.ErrNotFound) || (gerr == nil && (n.Account != a.caller.Account || n.Region != a.caller.Region)) {
			return Errorf(ErrCodeInvalidNetworkInterfaceIDNotFound, "The networkInterface ID '%s' does not exist", id)
		}
		err = gerr
	default:
		if names.ValidID(names.Notification, id) {
			return Errorf(ErrCodeInvalidID, "The ID '%s' is not valid: connection notifications cannot be tagged.", id)
		}
		return Errorf(ErrCodeInvalidID, "The ID '%s' is not valid", id)
	}
	return err
}

// CreateTagsInput is ec2 create-tags.
type CreateTagsInput struct {
	DryRun    bool     `json:"DryRun"`
	Resources []string `json:"Resources" aws:"required" locationName:"ResourceId"`
	Tags      []Tag    `json:"Tags" aws:"required" locationName:"Tag"`
}

// CreateTagsOutput is empty: the AWS CLI prints nothing.
type CreateTagsOutput struct{}

// CreateTags adds or overwrites tags on resources the caller owns; a
// resource would then have at most 50 tags (TagLimitExceeded otherwise).
// All or nothing: one refused resource changes none.
func (a *API) CreateTags(ctx context.Context, in *CreateTagsInput) (*CreateTagsOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.CreateTags)
	}
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	if err := checkListLen(ErrCodeInvalidParameterValue, "Resources", len(in.Resources), maxIDsPerRequest); err != nil {
		return nil, err
	}
	tags, err := tagsFor([]TagSpecification{{Tags: in.Tags}}, "")
	if err != nil {
		return nil, err
	}
	err = a.write(ctx, func(tx *store.Tx) error {
		for _, id := range in.Resources {
			if err := a.ec2OwnedResource(tx, id); err != nil {
				return err
			}
			if err := putTags(tx, id, tags, ErrCodeTagLimitExceeded); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &CreateTagsOutput{}, nil
}

// TagToDelete is one Tag of delete-tags: without a Value the key goes
// whatever its value; with one (even "") only when the value matches.
type TagToDelete struct {
	Key   string  `json:"Key"`
	Value *string `json:"Value"`
}

// DeleteTagsInput is ec2 delete-tags.
type DeleteTagsInput struct {
	DryRun    bool          `json:"DryRun"`
	Resources []string      `json:"Resources" aws:"required" locationName:"resourceId"`
	Tags      []TagToDelete `json:"Tags" locationName:"tag"`
}

// DeleteTagsOutput is empty: the AWS CLI prints nothing.
type DeleteTagsOutput struct{}

// DeleteTags removes tags from resources the caller owns: the keys given
// (a key with a value only while the resource's value is that one), or
// every tag when no tag is given. Removing a tag a resource does not have
// is not an error.
func (a *API) DeleteTags(ctx context.Context, in *DeleteTagsInput) (*DeleteTagsOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DeleteTags)
	}
	if err := requiredEC2(in); err != nil {
		return nil, err
	}
	if err := checkListLen(ErrCodeInvalidParameterValue, "Resources", len(in.Resources), maxIDsPerRequest); err != nil {
		return nil, err
	}
	if err := checkListLen(ErrCodeInvalidParameterValue, "Tags", len(in.Tags), maxIDsPerRequest); err != nil {
		return nil, err
	}
	for _, t := range in.Tags {
		if t.Key == "" {
			return nil, missing("Tag.Key")
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return nil, invalidValue("Tag key '%s' is invalid: tag keys starting with 'aws:' are reserved for internal use.", t.Key)
		}
	}
	err := a.write(ctx, func(tx *store.Tx) error {
		for _, id := range in.Resources {
			if err := a.ec2OwnedResource(tx, id); err != nil {
				return err
			}
			have, err := tx.Tags(id)
			if err != nil {
				return err
			}
			var gone []string
			for _, kv := range have {
				if len(in.Tags) == 0 {
					gone = append(gone, kv[0])
					continue
				}
				for _, t := range in.Tags {
					if t.Key == kv[0] && (t.Value == nil || *t.Value == kv[1]) {
						gone = append(gone, kv[0])
						break
					}
				}
			}
			if len(gone) > 0 {
				if err := tx.RemoveTags(id, gone); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &DeleteTagsOutput{}, nil
}

// EC2TagDescription is one tag of ec2 describe-tags (the model's
// TagDescription; elbv2 has a TagDescription of its own).
type EC2TagDescription struct {
	Key          string `json:"Key"`
	ResourceID   string `json:"ResourceId"`
	ResourceType string `json:"ResourceType"`
	Value        string `json:"Value"`
}

// DescribeTagsEC2Input is ec2 describe-tags (the Go name keeps it apart
// from elbv2's DescribeTags).
type DescribeTagsEC2Input struct {
	DryRun  bool     `json:"DryRun"`
	Filters []Filter `json:"Filters" locationName:"Filter"`
	EC2Paging
}

// DescribeTagsEC2Output is {"Tags": [...]} with NextToken when truncated.
type DescribeTagsEC2Output struct {
	NextToken string              `json:"NextToken,omitempty"`
	Tags      []EC2TagDescription `json:"Tags" locationName:"tagSet"`
}

// DescribeTagsEC2 lists the tags of the caller's EC2 resources, by
// resource ID and key, filtered by key, value, resource-id, resource-type
// and tag:<key> (the tag itself). Pages are keyed by resource ID and key
// (paging.go), so a tag is never repeated or skipped when other writers
// change the store between pages.
func (a *API) DescribeTagsEC2(ctx context.Context, in *DescribeTagsEC2Input) (*DescribeTagsEC2Output, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DescribeTagsEC2)
	}
	if err := checkPaging(a, in); err != nil {
		return nil, err
	}
	if err := a.ensureDefaultVPC(ctx); err != nil {
		return nil, err
	}
	out := &DescribeTagsEC2Output{Tags: []EC2TagDescription{}}
	err := a.st.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.EC2Tags(a.caller.Account, a.caller.Region)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if typ := ec2ResourceType(r.ResourceID); typ != "" {
				out.Tags = append(out.Tags, EC2TagDescription{Key: r.Key, ResourceID: r.ResourceID, ResourceType: typ, Value: r.Value})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Tags, err = applyFilters(out.Tags, in.Filters, tagDescriptionFilters)
	if err != nil {
		return nil, err
	}
	sort.Slice(out.Tags, func(i, j int) bool {
		x, y := out.Tags[i], out.Tags[j]
		return x.ResourceID < y.ResourceID || x.ResourceID == y.ResourceID && x.Key < y.Key
	})
	out.Tags, out.NextToken, err = pageEC2(a, in, out.Tags, func(t EC2TagDescription) string { return t.ResourceID + "\x00" + t.Key })
	if err != nil {
		return nil, err
	}
	return out, nil
}
