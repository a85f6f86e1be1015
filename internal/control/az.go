package control

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/plink-dev/plink/internal/names"
	"github.com/plink-dev/plink/internal/store"
)

// AvailabilityZone is the EC2 AvailabilityZone shape.
type AvailabilityZone struct {
	State              string                    `json:"State" locationName:"zoneState"`
	OptInStatus        string                    `json:"OptInStatus"`
	Messages           []AvailabilityZoneMessage `json:"Messages" locationName:"messageSet"`
	RegionName         string                    `json:"RegionName"`
	ZoneName           string                    `json:"ZoneName"`
	ZoneID             string                    `json:"ZoneId"`
	GroupName          string                    `json:"GroupName"`
	NetworkBorderGroup string                    `json:"NetworkBorderGroup"`
	ZoneType           string                    `json:"ZoneType"`
}

// AvailabilityZoneMessage is {"Message": ...}.
type AvailabilityZoneMessage struct {
	Message string `json:"Message"`
}

// DescribeAvailabilityZonesInput is ec2 describe-availability-zones.
type DescribeAvailabilityZonesInput struct {
	DryRun               bool     `json:"DryRun"`
	Filters              []Filter `json:"Filters" locationName:"Filter"`
	ZoneNames            []string `json:"ZoneNames" locationName:"ZoneName"`
	ZoneIDs              []string `json:"ZoneIds" locationName:"ZoneId"`
	AllAvailabilityZones bool     `json:"AllAvailabilityZones"`
}

// DescribeAvailabilityZonesOutput is {"AvailabilityZones": [...]}.
type DescribeAvailabilityZonesOutput struct {
	AvailabilityZones []AvailabilityZone `json:"AvailabilityZones" locationName:"availabilityZoneInfo"`
}

// DescribeAvailabilityZones lists the zones of the caller's region: a, b
// and c, available unless the plink serve that claimed the zone (serve
// --zones, on one of several hosts) stopped heartbeating: then impaired,
// with a message naming the host. Zone IDs are those plink uses everywhere
// (us-east-1a is use1-az1). There are no Local or Wavelength Zones, so
// AllAvailabilityZones changes nothing.
func (a *API) DescribeAvailabilityZones(ctx context.Context, in *DescribeAvailabilityZonesInput) (*DescribeAvailabilityZonesOutput, error) {
	if in.DryRun {
		return dryRun(ctx, in, a.DescribeAvailabilityZones)
	}
	hosts, err := a.st.Hosts(ctx)
	if err != nil {
		return nil, err
	}
	impaired := store.ImpairedZones(hosts, a.now())
	out := &DescribeAvailabilityZonesOutput{AvailabilityZones: []AvailabilityZone{}}
	for _, l := range names.Zones {
		z := a.caller.Region + l
		state, msgs := StateZoneAvailable, []AvailabilityZoneMessage{}
		if h, ok := impaired[z]; ok {
			state = StateZoneImpaired
			msgs = append(msgs, AvailabilityZoneMessage{Message: impairedMessage(h, a.now())})
		}
		out.AvailabilityZones = append(out.AvailabilityZones, AvailabilityZone{State: state, OptInStatus: ZoneOptInNotRequired,
			Messages: msgs, RegionName: a.caller.Region, ZoneName: z, ZoneID: names.ZoneID(z),
			GroupName: a.caller.Region, NetworkBorderGroup: a.caller.Region, ZoneType: ZoneTypeAvailabilityZone})
	}
	has := func(f func(AvailabilityZone) string, v string) bool {
		return slices.ContainsFunc(out.AvailabilityZones, func(z AvailabilityZone) bool { return f(z) == v })
	}
	for _, n := range in.ZoneNames {
		if !has(func(z AvailabilityZone) string { return z.ZoneName }, n) {
			return nil, invalidValue("Invalid availability zone: [%s]", n)
		}
	}
	for _, id := range in.ZoneIDs {
		if !has(func(z AvailabilityZone) string { return z.ZoneID }, id) {
			return nil, invalidValue("Invalid availability zone ID: [%s]", id)
		}
	}
	if len(in.ZoneNames) > 0 {
		in.Filters = append(slices.Clone(in.Filters), Filter{Name: "zone-name", Values: in.ZoneNames})
	}
	if len(in.ZoneIDs) > 0 {
		in.Filters = append(slices.Clone(in.Filters), Filter{Name: "zone-id", Values: in.ZoneIDs})
	}
	out.AvailabilityZones, err = applyFilters(out.AvailabilityZones, in.Filters, availabilityZoneFilters)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// impairedMessage says why a zone is impaired.
func impairedMessage(h store.Host, now time.Time) string {
	if h.State(now) == store.HostStopped {
		return fmt.Sprintf("plink serve on host %s stopped; the zone is not served until a serve claims it (plink serve --zones)", h.Describe())
	}
	return fmt.Sprintf("plink serve on host %s missed heartbeats for %s (timeout %s)",
		h.Describe(), now.Sub(h.Heartbeat).Round(time.Second), h.Timeout)
}
