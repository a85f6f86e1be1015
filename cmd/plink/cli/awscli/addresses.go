package awscli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/plink-dev/plink/internal/awsapi"
	"github.com/plink-dev/plink/internal/control"
	"github.com/plink-dev/plink/internal/output"
)

// AddressesKey is the member -o table and wide add to each endpoint of an
// answer: the addresses of its network interfaces, what a client connects
// to. AWS's VpcEndpoint lists only the interfaces' IDs, so the table asks
// describe-network-interfaces for them; JSON, YAML and text stay AWS's.
const AddressesKey = "Addresses"

// tableExtras adds to out what its table shows beyond AWS's answer, when
// the output is a table: the addresses of the endpoints of
// describe-vpc-endpoints, create-vpc-endpoint and modify-vpc-endpoint.
func (c *command) tableExtras(cmd *cobra.Command, out any) (any, error) {
	switch c.a.Name {
	case "DescribeVpcEndpoints", "CreateVpcEndpoint":
	default:
		return out, nil
	}
	cfg, err := c.f.Config()
	if err != nil {
		return nil, err
	}
	if cfg.Output != output.FormatTable && cfg.Output != output.FormatWide {
		return out, nil
	}
	js, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(js, &doc); err != nil {
		return nil, err
	}
	var endpoints []map[string]any
	if one, ok := doc["VpcEndpoint"].(map[string]any); ok {
		endpoints = append(endpoints, one)
	}
	if list, ok := doc["VpcEndpoints"].([]any); ok {
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				endpoints = append(endpoints, m)
			}
		}
	}
	var enis []string
	for _, e := range endpoints {
		for _, id := range stringList(e["NetworkInterfaceIds"]) {
			enis = append(enis, id)
		}
	}
	addrs, err := c.eniAddresses(cmd, enis)
	if err != nil {
		return nil, err
	}
	for _, e := range endpoints {
		list := []any{}
		for _, id := range stringList(e["NetworkInterfaceIds"]) {
			for _, a := range addrs[id] {
				list = append(list, a)
			}
		}
		e[AddressesKey] = list
	}
	return doc, nil
}

// eniAddresses maps the network interfaces ids to their IPv4 and IPv6
// addresses, asked of describe-network-interfaces as the same caller.
func (c *command) eniAddresses(cmd *cobra.Command, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var action *awsapi.Action
	for _, a := range awsapi.Actions() {
		if a.Name == "DescribeNetworkInterfaces" {
			action = a
		}
	}
	if action == nil {
		return nil, fmt.Errorf("no DescribeNetworkInterfaces action")
	}
	call, err := c.callerOf(cmd, action)
	if err != nil {
		return nil, err
	}
	res, err := call(&control.DescribeNetworkInterfacesInput{NetworkInterfaceIDs: ids})
	if err != nil {
		return nil, fmt.Errorf("the table's addresses: %w", err)
	}
	nis, ok := res.(*control.DescribeNetworkInterfacesOutput)
	if !ok {
		return nil, fmt.Errorf("the table's addresses: describe-network-interfaces answered %T", res)
	}
	for _, n := range nis.NetworkInterfaces {
		if n.PrivateIPAddress != "" {
			out[n.NetworkInterfaceID] = append(out[n.NetworkInterfaceID], n.PrivateIPAddress)
		}
		for _, a := range n.Ipv6Addresses {
			out[n.NetworkInterfaceID] = append(out[n.NetworkInterfaceID], a.Ipv6Address)
		}
	}
	return out, nil
}

// stringList is a JSON list of strings as a []string.
func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
