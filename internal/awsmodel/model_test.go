package awsmodel

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const demoModel = `{
  "metadata": {"protocol": "query"},
  "operations": {"DescribeThings": {"name": "DescribeThings", "input": {"shape": "DescribeThingsInput"}, "output": {"shape": "DescribeThingsOutput"}}},
  "shapes": {
    "DescribeThingsInput": {"type": "structure", "required": ["Names"], "members": {"Names": {"shape": "NameList"}, "MaxItems": {"shape": "Integer"}, "Marker": {"shape": "String"}}},
    "DescribeThingsOutput": {"type": "structure", "members": {"Things": {"shape": "ThingList"}, "NextMarker": {"shape": "String"}}},
    "NameList": {"type": "list", "member": {"shape": "String"}},
    "ThingList": {"type": "list", "member": {"shape": "Thing"}},
    "Thing": {"type": "structure", "members": {"Name": {"shape": "String"}, "State": {"shape": "ThingState"}, "Attrs": {"shape": "AttrMap"}, "Created": {"shape": "Timestamp"}, "Size": {"shape": "Long"}}},
    "AttrMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "Boolean"}},
    "ThingState": {"type": "string", "enum": ["Active", "Gone"]},
    "String": {"type": "string"}, "Integer": {"type": "integer"}, "Long": {"type": "long"},
    "Boolean": {"type": "boolean"}, "Timestamp": {"type": "timestamp"}
  }
}`

const demoExamples = `{"version": "1.0", "examples": {"DescribeThings": [{"input": {"Names": ["a"]}, "output": {"Things": [{"Name": "a", "State": "active"}]}}]}}`

const demoPaginators = `{"pagination": {"DescribeThings": {"input_token": "Marker", "output_token": "NextMarker", "limit_key": "MaxItems", "result_key": "Things"}}}`

func writeGzip(t *testing.T, path, content string) {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(content))
	w.Close()
	if err := os.WriteFile(path+".gz", b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoad: the newest API version is read, gzipped or not; a service not
// installed is ErrNotInstalled.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "demo", "2019-01-01")
	cur := filepath.Join(dir, "demo", "2021-06-30")
	for _, d := range []string{old, cur, filepath.Join(dir, "demo", "2022-01-01")} { // the last one is empty
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(old, "service-2.json"), []byte(`{"operations": {}, "shapes": {}}`), 0o644)
	writeGzip(t, filepath.Join(cur, "service-2.json"), demoModel)
	writeGzip(t, filepath.Join(cur, "examples-1.json"), demoExamples)
	os.WriteFile(filepath.Join(cur, "paginators-1.json"), []byte(demoPaginators), 0o644)

	m, err := Load(dir, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if m.APIVersion != "2021-06-30" || m.Protocol != "query" || m.Operations["DescribeThings"] == nil || m.Paginators["DescribeThings"] == nil {
		t.Fatalf("loaded %+v", m)
	}
	if !m.ExampleValues["Thing.State"]["active"] {
		t.Errorf("example values %v", m.ExampleValues)
	}
	flags, _ := CLIFlags(m, "DescribeThings")
	if got := strings.Join(flags, " "); got != "cli-input-json cli-input-yaml generate-cli-skeleton marker max-items names page-size starting-token" {
		t.Errorf("flags %s", got)
	}

	if _, err := Load(dir, "nothing"); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("Load of a missing service: %v", err)
	}
	os.MkdirAll(filepath.Join(dir, "empty", "2020-01-01"), 0o755)
	if _, err := Load(dir, "empty"); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("Load of a service without service-2.json: %v", err)
	}
	os.WriteFile(filepath.Join(cur, "service-2.json"), []byte("{"), 0o644) // the plain file wins
	if _, err := Load(dir, "demo"); err == nil {
		t.Error("a broken model loaded")
	}

	// The checks on the demo model.
	ms := Models{"demo": m}
	type thing struct {
		Name    string          `json:"Name"`
		State   string          `json:"State"`
		Attrs   map[string]bool `json:"Attrs"`
		Created string          `json:"Created"`
		Size    int64           `json:"Size"`
	}
	type in struct {
		Names []string `json:"Names" aws:"required"`
	}
	type out struct {
		Things []thing `json:"Things"`
	}
	r := ms.Check([]Action{{Service: "demo", Operation: "DescribeThings", Input: reflect.TypeFor[in](), Output: reflect.TypeFor[out]()}},
		[]Enum{{Service: "demo", Shape: "Thing", Member: "State", Values: []string{"Active"}}})
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0], `"Active": AWS's examples print "active"`) {
		t.Errorf("problems %q", r.Problems)
	}
	if strings.Join(r.Omitted, ",") != "demo DescribeThings input Marker,demo DescribeThings input MaxItems,demo DescribeThings output NextMarker" {
		t.Errorf("omitted %q", r.Omitted)
	}
	type badThing struct {
		Attrs   map[string]string `json:"Attrs"`
		Created bool              `json:"Created"`
		Size    float64           `json:"Size"`
	}
	type badOut struct {
		Things []badThing `json:"Things"`
	}
	r = ms.Check([]Action{{Service: "demo", Operation: "DescribeThings", Output: reflect.TypeFor[badOut]()}}, nil)
	if len(r.Problems) != 3 {
		t.Errorf("problems %q", r.Problems)
	}
}

// TestCheckCLI: a command or flag plink lacks is a problem.
func TestCheckCLI(t *testing.T) {
	ms := loadOrSkip(t)
	actions := []Action{{Service: "ec2", Operation: "DescribeVpcEndpoints"}, {Service: "sts", Operation: "GetCallerIdentity"}, {Service: "elbv2", Operation: "SetSubnets"}}
	all := fakeCLI{"ec2 describe-vpc-endpoints": {"vpc-endpoint-ids", "filters", "dry-run", "no-dry-run", "max-results", "next-token",
		"starting-token", "max-items", "page-size", "cli-input-json", "cli-input-yaml", "generate-cli-skeleton"},
		"sts get-caller-identity": {"cli-input-json", "cli-input-yaml", "generate-cli-skeleton"}}
	r := ms.CheckCLI(actions, all)
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "no command `plink elbv2 set-subnets`") {
		t.Errorf("problems %q", r.Problems)
	}
	all["ec2 describe-vpc-endpoints"] = all["ec2 describe-vpc-endpoints"][1:]
	r = ms.CheckCLI(actions[:2], all)
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "`plink ec2 describe-vpc-endpoints` has no --vpc-endpoint-ids") {
		t.Errorf("problems %q", r.Problems)
	}
}

type fakeCLI map[string][]string

func (f fakeCLI) HasCommand(service, command string) bool {
	_, ok := f[service+" "+command]
	return ok
}

func (f fakeCLI) HasFlag(service, command, flag string) bool {
	for _, g := range f[service+" "+command] {
		if g == flag {
			return true
		}
	}
	return false
}
