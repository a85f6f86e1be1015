package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden with the current output")

// checkGolden compares got with testdata/<name>.golden.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s\n--- got ---\n%s--- want ---\n%s", path, got, want)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name, format, query string
		wantFormat          string
		wantErr             error
		wantMsg             string // substring of the error
	}{
		{name: "default is json", format: "", wantFormat: "json"},
		{name: "json", format: "json", wantFormat: "json"},
		{name: "yaml", format: "yaml", wantFormat: "yaml"},
		{name: "table", format: "table", wantFormat: "table"},
		{name: "wide", format: "wide", wantFormat: "wide"},
		{name: "text with query", format: "text", query: "VpcEndpoints[].VpcEndpointId", wantFormat: "text"},
		{name: "blank query is no query", format: "json", query: "  ", wantFormat: "json"},
		{
			name: "unknown format", format: "xml", wantErr: ErrUnknownFormat,
			wantMsg: `unable to match a printer suitable for the output format "xml", allowed formats are: json,text,table,wide,yaml`,
		},
		{name: "formats are case-sensitive", format: "JSON", wantErr: ErrUnknownFormat},
		{
			name: "unterminated filter", format: "json", query: "VpcEndpoints[?State=='available'", wantErr: ErrInvalidQuery,
			wantMsg: "VpcEndpoints[?State=='available'\n" + strings.Repeat(" ", 32) + "^",
		},
		{name: "incomplete expression", format: "table", query: "VpcEndpoints[0].", wantErr: ErrInvalidQuery, wantMsg: `invalid --query "VpcEndpoints[0]."`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.format, tt.query)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("New(%q, %q) error = %v, want %v", tt.format, tt.query, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("error %q does not contain %q", err, tt.wantMsg)
				}
				if tt.wantErr == ErrUnknownFormat && !strings.HasPrefix(err.Error(), "unable to match a printer") {
					t.Fatalf("error %q does not read like kubectl's", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%q, %q): %v", tt.format, tt.query, err)
			}
			if p.Format() != tt.wantFormat {
				t.Fatalf("Format() = %q, want %q", p.Format(), tt.wantFormat)
			}
		})
	}
}

// Types exercising numbers, nil handling and custom marshallers.
type (
	testListener struct {
		Port     int     `json:"Port"`
		Weight   float64 `json:"Weight"`
		Big      int64   `json:"Big"`
		Protocol string  `json:"Protocol"`
	}
	testNested struct {
		Items   []string          `json:"Items"`
		Omitted []string          `json:"Omitted,omitempty"`
		Labels  map[string]string `json:"Labels"`
		Config  *testNested       `json:"Config,omitempty"`
		Any     any               `json:"Any"`
		Raw     json.RawMessage   `json:"Raw"`
		Custom  nullMarshaler     `json:"Custom"`
		Bytes   []byte            `json:"Bytes"`
		Array   [1][]int          `json:"Array"`
		//lint:ignore U1000 an unexported field, which printing must skip
		internal []string
	}
	//lint:ignore U1000 a type that marshals itself; its field only gives it a nil-able shape
	nullMarshaler struct{ v []string }
)

func (nullMarshaler) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

func TestPrint(t *testing.T) {
	listeners := struct {
		Listeners []testListener `json:"Listeners"`
	}{Listeners: []testListener{
		{Port: 443, Weight: 1.5, Big: 9007199254740993, Protocol: "TCP"},
		{Port: 80, Weight: 2, Big: 1, Protocol: "TCP"},
	}}
	nested := testNested{Config: &testNested{Any: []int(nil)}, Raw: json.RawMessage(`{"b":1,"a":[]}`)}
	var nilEndpoints []testEndpoint
	single := struct {
		VpcEndpoint testEndpoint `json:"VpcEndpoint"`
	}{testEndpoints().VpcEndpoints[0]}
	empty := testDescribe{VpcEndpoints: []testEndpoint{}}
	batch := struct {
		Unsuccessful []any `json:"Unsuccessful"`
	}{}
	html := map[string]string{"Policy": `{"a":"<b> & c"}`}
	type awsError struct {
		Code    string `json:"Code"`
		Message string `json:"Message"`
	}
	type unsuccessful struct {
		Error      awsError `json:"Error"`
		ResourceId string   `json:"ResourceId"`
	}
	failed := struct {
		Unsuccessful []unsuccessful `json:"Unsuccessful"`
	}{[]unsuccessful{
		{awsError{"InvalidVpcEndpoint.NotFound", "The VPC endpoint 'vpce-0aaaaaaaaaaaaaaaa' does not exist"}, "vpce-0aaaaaaaaaaaaaaaa"},
		{awsError{"ExistingVpcEndpointConnections", "Service has existing active connections"}, "vpce-svc-0bbbbbbbbbbbbbbbb"},
	}}
	type dnsOptions struct {
		DnsRecordIpType string `json:"DnsRecordIpType"`
	}
	type privateDNS struct {
		Name string `json:"Name,omitempty"`
	}
	service := struct {
		ServiceConfiguration any `json:"ServiceConfiguration"`
	}{struct {
		ServiceId                   string     `json:"ServiceId"`
		DnsOptions                  dnsOptions `json:"DnsOptions"`
		PrivateDnsNameConfiguration privateDNS `json:"PrivateDnsNameConfiguration"`
		AvailabilityZones           []string   `json:"AvailabilityZones"`
	}{"vpce-svc-0123456789abcdef0", dnsOptions{"ipv4"}, privateDNS{}, []string{"us-east-1a", "us-east-1b"}}}

	tests := []struct {
		name   string // also the golden file name
		format string
		query  string
		value  any
		table  *Table
	}{
		// json
		{name: "json_describe", format: "json", value: testEndpoints(), table: testEndpointTable},
		{name: "json_query_string", format: "json", query: "VpcEndpoints[0].VpcEndpointId", value: testEndpoints()},
		{name: "json_query_nested", format: "json", query: "VpcEndpoints[?State=='available'].DnsEntries[].DnsName", value: testEndpoints()},
		{name: "json_query_multiselect", format: "json", query: "VpcEndpoints[].{Id: VpcEndpointId, Groups: Groups[].GroupId}", value: testEndpoints()},
		{name: "json_query_object_keeps_order", format: "json", query: "VpcEndpoints[1]", value: testEndpoints()},
		{name: "json_query_null", format: "json", query: "VpcEndpoints[0].NoSuchField", value: testEndpoints()},
		{name: "json_numbers", format: "json", value: listeners},
		{name: "json_numbers_query", format: "json", query: "Listeners[?Port > `100`]", value: listeners},
		{name: "json_nil_value", format: "json", value: nil},
		{name: "json_nil_slice", format: "json", value: nilEndpoints},
		{name: "json_nil_nested", format: "json", value: nested},
		{name: "json_empty_batch", format: "json", value: batch},
		{name: "json_no_html_escape", format: "json", value: html},
		// yaml
		{name: "yaml_describe", format: "yaml", value: testEndpoints()},
		{name: "yaml_query", format: "yaml", query: "VpcEndpoints[].VpcEndpointId", value: testEndpoints()},
		// text
		{name: "text_describe", format: "text", value: testEndpoints()},
		{name: "text_scalar_query", format: "text", query: "VpcEndpoints[0].VpcEndpointId", value: testEndpoints()},
		{name: "text_single_object", format: "text", query: "VpcEndpoint.VpcEndpointId", value: single},
		{name: "text_list_of_scalars", format: "text", query: "VpcEndpoints[].VpcEndpointId", value: testEndpoints()},
		{name: "text_list_of_lists", format: "text", query: "VpcEndpoints[].[VpcEndpointId, State, PrivateDnsEnabled]", value: testEndpoints()},
		{name: "text_nested_query", format: "text", query: "VpcEndpoints[0].{Id: VpcEndpointId, Groups: Groups}", value: testEndpoints()},
		{name: "text_null", format: "text", query: "VpcEndpoints[0].NoSuchField", value: testEndpoints()},
		{name: "text_numbers", format: "text", value: listeners},
		{name: "text_empty", format: "text", value: empty},
		// table and wide with a spec
		{name: "table_spec", format: "table", value: testEndpoints(), table: testEndpointTable},
		{name: "wide_spec", format: "wide", value: testEndpoints(), table: testEndpointTable},
		{name: "table_spec_empty", format: "table", value: empty, table: testEndpointTable},
		{name: "table_spec_nil_list", format: "table", value: nilEndpoints, table: testEndpointTable},
		{name: "table_spec_single_object", format: "table", value: single, table: &Table{List: "VpcEndpoint", Columns: testEndpointTable.Columns}},
		// generic tables
		{name: "table_generic_list", format: "table", value: testEndpoints()},
		{name: "table_query_overrides_spec", format: "table", query: "VpcEndpoints[].{ID: VpcEndpointId, State: State}", value: testEndpoints(), table: testEndpointTable},
		{name: "table_query_scalars", format: "table", query: "VpcEndpoints[].VpcEndpointId", value: testEndpoints()},
		{name: "table_query_lists", format: "table", query: "VpcEndpoints[].[VpcEndpointId, State]", value: testEndpoints()},
		{name: "table_query_object", format: "wide", query: "VpcEndpoints[1]", value: testEndpoints(), table: testEndpointTable},
		{name: "table_query_scalar", format: "table", query: "length(VpcEndpoints)", value: testEndpoints()},
		{name: "table_numbers", format: "table", value: listeners},
		{name: "table_generic_empty", format: "table", value: empty},
		{name: "table_generic_nested_objects", format: "table", value: failed},
		{name: "table_generic_single_object", format: "table", value: service},
		{name: "json_single_object", format: "json", value: service},
		{name: "text_batch", format: "text", value: failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.format, tt.query)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := p.Print(&out, tt.value, tt.table); err != nil {
				t.Fatalf("Print: %v", err)
			}
			checkGolden(t, tt.name, out.String())
		})
	}
}

// TestPrintInline pins the outputs scripts depend on most, in the test
// itself.
func TestPrintInline(t *testing.T) {
	tests := []struct {
		name, format, query string
		value               any
		want                string
	}{
		{"json string query is quoted", "json", "VpcEndpoints[0].VpcEndpointId", testEndpoints(), "\"vpce-0123456789abcdef0\"\n"},
		{"text string query is bare", "text", "VpcEndpoints[0].VpcEndpointId", testEndpoints(), "vpce-0123456789abcdef0\n"},
		{"text number", "text", "length(VpcEndpoints)", testEndpoints(), "2\n"},
		{"text booleans like Python", "text", "VpcEndpoints[].PrivateDnsEnabled", testEndpoints(), "True\tFalse\n"},
		{"json nil slice", "json", "", []string(nil), "[]\n"},
		{"json empty object", "json", "", struct{}{}, "{}\n"},
		{"yaml nil slice", "yaml", "", struct {
			A []string `json:"A"`
		}{}, "A: []\n"},
		{"table scalar", "table", "VpcEndpoints[1].State", testEndpoints(), "pendingAcceptance\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.format, tt.query)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := p.Print(&out, tt.value, nil); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Fatalf("got %q, want %q", out.String(), tt.want)
			}
		})
	}
}

func TestPrintErrors(t *testing.T) {
	tests := []struct {
		name, format, query string
		value               any
		table               *Table
		wantErr             error // nil: any error
		wantMsg             string
	}{
		{
			name: "query runtime type error", format: "json", query: "join(',', VpcEndpoints[].PrivateDnsEnabled)",
			value: testEndpoints(), wantErr: ErrInvalidQuery, wantMsg: `invalid --query "join(',', VpcEndpoints[].PrivateDnsEnabled)"`,
		},
		{
			name: "bad column path", format: "table", value: testEndpoints(),
			table:   &Table{List: "VpcEndpoints", Columns: []Column{{Header: "ID", Path: "VpcEndpointId["}}},
			wantMsg: `table column "ID" path "VpcEndpointId["`,
		},
		{
			name: "bad list path", format: "wide", value: testEndpoints(),
			table:   &Table{List: "VpcEndpoints[?", Columns: []Column{{Header: "ID", Path: "VpcEndpointId"}}},
			wantMsg: `table list "VpcEndpoints[?"`,
		},
		{name: "unmarshalable value", format: "json", value: map[string]any{"f": func() {}}, wantMsg: "encoding output"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.format, tt.query)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			err = p.Print(&out, tt.value, tt.table)
			if err == nil {
				t.Fatalf("Print succeeded, printed %q", out.String())
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v is not %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error %q does not contain %q", err, tt.wantMsg)
			}
			if out.Len() != 0 {
				t.Fatalf("printed %q on error, want nothing", out.String())
			}
		})
	}
}

// TestPrintDoesNotModifyValue checks that filling nil slices works on a copy.
func TestPrintDoesNotModifyValue(t *testing.T) {
	v := testEndpoints()
	p, err := New("json", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Print(&bytes.Buffer{}, &v, nil); err != nil {
		t.Fatal(err)
	}
	if v.VpcEndpoints[1].Groups != nil || v.VpcEndpoints[1].Tags != nil {
		t.Fatalf("Print modified the caller's value: %+v", v.VpcEndpoints[1])
	}
}

// TestPrinterReuse checks that one Printer prints several values alike.
func TestPrinterReuse(t *testing.T) {
	p, err := New("table", "")
	if err != nil {
		t.Fatal(err)
	}
	var first, second bytes.Buffer
	for _, out := range []*bytes.Buffer{&first, &second} {
		if err := p.Print(out, testEndpoints(), testEndpointTable); err != nil {
			t.Fatal(err)
		}
	}
	if first.String() != second.String() {
		t.Fatalf("second print differs:\n%s\n%s", first.String(), second.String())
	}
}

func TestHeading(t *testing.T) {
	tests := []struct{ in, want string }{
		{"VpcEndpointId", "VPC ENDPOINT ID"},
		{"State", "STATE"},
		{"DNSName", "DNS NAME"},
		{"Ipv6AddressCount", "IPV6 ADDRESS COUNT"},
		{"IPv6", "IPV6"},
		{"LoadBalancerArns", "LOAD BALANCER ARNS"},
		{"private_dns", "PRIVATE DNS"},
		{"ID", "ID"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Heading(tt.in); got != tt.want {
				t.Fatalf("Heading(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	got := Formats()
	got[0] = "changed"
	if Formats()[0] != "json" {
		t.Fatal("Formats returned the package's own slice")
	}
	for _, f := range Formats() {
		if _, err := New(f, ""); err != nil {
			t.Fatalf("New(%q): %v", f, err)
		}
	}
}

// WithColor(true) puts the header line of a table, and only that, in bold;
// other formats and WithColor(false) print no escape sequence.
func TestPrintColor(t *testing.T) {
	v := map[string]any{"Vpcs": []any{map[string]any{"VpcId": "vpc-1"}}}
	spec := &Table{List: "Vpcs", Columns: []Column{{Header: "VPC ID", Path: "VpcId"}}}
	print := func(format string, color bool) string {
		t.Helper()
		p, err := New(format, "")
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := p.WithColor(color).Print(&b, v, spec); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if got, want := print(FormatTable, true), "\x1b[1mVPC ID\x1b[0m\nvpc-1\n"; got != want {
		t.Errorf("table with colour: %q, want %q", got, want)
	}
	if got, want := print(FormatTable, false), "VPC ID\nvpc-1\n"; got != want {
		t.Errorf("table without colour: %q, want %q", got, want)
	}
	for _, f := range []string{FormatJSON, FormatYAML, FormatText} {
		if got := print(f, true); strings.Contains(got, "\x1b") {
			t.Errorf("%s with colour carries an escape sequence: %q", f, got)
		}
	}
}
