package output

// Test fixtures shaped like the AWS API (ec2 DescribeVpcEndpoints).

type testDNSEntry struct {
	DnsName      string `json:"DnsName"`
	HostedZoneId string `json:"HostedZoneId"`
}

type testGroup struct {
	GroupId   string `json:"GroupId"`
	GroupName string `json:"GroupName"`
}

type testTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type testEndpoint struct {
	VpcEndpointId     string         `json:"VpcEndpointId"`
	VpcEndpointType   string         `json:"VpcEndpointType"`
	State             string         `json:"State"`
	SubnetIds         []string       `json:"SubnetIds"`
	Groups            []testGroup    `json:"Groups"`
	DnsEntries        []testDNSEntry `json:"DnsEntries"`
	PrivateDnsEnabled bool           `json:"PrivateDnsEnabled"`
	Tags              []testTag      `json:"Tags"`
	CreationTimestamp string         `json:"CreationTimestamp"`
}

type testDescribe struct {
	VpcEndpoints []testEndpoint `json:"VpcEndpoints"`
}

func testEndpoints() testDescribe {
	return testDescribe{VpcEndpoints: []testEndpoint{
		{
			VpcEndpointId:   "vpce-0123456789abcdef0",
			VpcEndpointType: "Interface",
			State:           "available",
			SubnetIds:       []string{"subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"},
			Groups:          []testGroup{{GroupId: "sg-01", GroupName: "default"}, {GroupId: "sg-02", GroupName: "web"}},
			DnsEntries: []testDNSEntry{
				{DnsName: "vpce-0123456789abcdef0-abcdefgh.vpce-svc-0.us-east-1.vpce.amazonaws.com", HostedZoneId: "Z7HUB22UULQXV"},
				{DnsName: "vpce-0123456789abcdef0-abcdefgh-us-east-1a.vpce-svc-0.us-east-1.vpce.amazonaws.com", HostedZoneId: "Z7HUB22UULQXV"},
			},
			PrivateDnsEnabled: true,
			Tags:              []testTag{{Key: "Name", Value: "db"}},
			CreationTimestamp: "2024-05-01T10:00:00.000Z",
		},
		{
			VpcEndpointId:     "vpce-0fedcba9876543210",
			VpcEndpointType:   "Interface",
			State:             "pendingAcceptance",
			SubnetIds:         []string{},
			Groups:            nil, // nil on purpose: must print as []
			DnsEntries:        []testDNSEntry{},
			CreationTimestamp: "2024-05-02T11:30:00.000Z",
		},
	}}
}

var testEndpointTable = &Table{
	List: "VpcEndpoints",
	Columns: []Column{
		{Header: "VPC Endpoint ID", Path: "VpcEndpointId"},
		{Header: "State", Path: "State"},
		{Header: "Groups", Path: "Groups[].GroupId | join(',', @)"},
		{Header: "DNS Name", Path: "DnsEntries[0].DnsName", Wide: true},
		{Header: "Created", Path: "CreationTimestamp"},
	},
}
