// Package awsmodel reads the AWS service models that botocore ships (the
// files the AWS CLI is generated from) and checks plink's action structs and
// CLI against them: member names and casing, types, required members, enum
// values, and the AWS CLI's command and flag names. The models are read
// where Debian's python3-botocore installs them; they are not copied into
// the repository.
package awsmodel

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// DefaultDataDir is where Debian's python3-botocore installs the models.
const DefaultDataDir = "/usr/lib/python3/dist-packages/botocore/data"

// ErrNotInstalled is returned when a service's model is not on this machine.
var ErrNotInstalled = errors.New("AWS service model not installed (apt-get install python3-botocore)")

// DataDir is $PLINK_BOTOCORE_DATA when set, else DefaultDataDir.
func DataDir() string {
	if d := os.Getenv("PLINK_BOTOCORE_DATA"); d != "" {
		return d
	}
	return DefaultDataDir
}

// Model is one service's model: botocore's service-2.json, with its
// paginators-1.json and the string values examples-1.json prints.
type Model struct {
	Service    string // botocore's name: ec2, elbv2, sts
	APIVersion string // the directory it was read from: 2016-11-15
	Protocol   string // ec2, query, json, rest-xml, rest-json
	Operations map[string]*Operation
	Shapes     map[string]*Shape
	Paginators map[string]*Paginator // by operation
	// ExampleValues holds, for each member of a structure, the strings
	// AWS's own examples (examples-1.json) print for it in outputs:
	// "Vpc.State" → {available, pending}.
	ExampleValues map[string]map[string]bool
}

// Operation is one action.
type Operation struct {
	Name   string    `json:"name"`
	Input  *ShapeRef `json:"input"`
	Output *ShapeRef `json:"output"`
}

// ShapeRef points at a shape.
type ShapeRef struct {
	Shape        string `json:"shape"`
	LocationName string `json:"locationName"`
}

// Shape is one shape of the model.
type Shape struct {
	Type     string              `json:"type"` // string integer long boolean float double timestamp blob list map structure
	Members  map[string]ShapeRef `json:"members"`
	Required []string            `json:"required"`
	Member   *ShapeRef           `json:"member"` // list
	Key      *ShapeRef           `json:"key"`    // map
	Value    *ShapeRef           `json:"value"`  // map
	Enum     []string            `json:"enum"`
}

// Paginator is an operation's entry of paginators-1.json.
type Paginator struct {
	InputToken  any    `json:"input_token"`
	OutputToken any    `json:"output_token"`
	LimitKey    string `json:"limit_key"`
	ResultKey   any    `json:"result_key"`
}

// Load reads the newest API version of service's model under dataDir
// (botocore's layout: <service>/<api-version>/service-2.json, each file
// possibly gzipped as .json.gz). It returns an error wrapping
// ErrNotInstalled when the service's model is not there.
func Load(dataDir, service string) (*Model, error) {
	dir := filepath.Join(dataDir, service)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNotInstalled)
	}
	if err != nil {
		return nil, err
	}
	var versions []string
	for _, e := range entries {
		if e.IsDir() {
			if _, err := readMaybeGzip(filepath.Join(dir, e.Name(), "service-2.json")); err == nil {
				versions = append(versions, e.Name())
			}
		}
	}
	if len(versions) == 0 {
		return nil, fmt.Errorf("%s: no service-2.json: %w", dir, ErrNotInstalled)
	}
	// botocore's loader takes the latest API version (the names are dates).
	slices.Sort(versions)
	version := versions[len(versions)-1]
	vdir := filepath.Join(dir, version)

	raw, err := readMaybeGzip(filepath.Join(vdir, "service-2.json"))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Metadata struct {
			Protocol string `json:"protocol"`
		} `json:"metadata"`
		Operations map[string]*Operation `json:"operations"`
		Shapes     map[string]*Shape     `json:"shapes"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s/service-2.json: %w", vdir, err)
	}
	m := &Model{Service: service, APIVersion: version, Protocol: doc.Metadata.Protocol,
		Operations: doc.Operations, Shapes: doc.Shapes, Paginators: map[string]*Paginator{},
		ExampleValues: map[string]map[string]bool{}}
	for name, op := range m.Operations {
		if op.Name == "" {
			op.Name = name
		}
	}

	if raw, err := readMaybeGzip(filepath.Join(vdir, "paginators-1.json")); err == nil {
		var p struct {
			Pagination map[string]*Paginator `json:"pagination"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, fmt.Errorf("%s/paginators-1.json: %w", vdir, err)
		}
		m.Paginators = p.Pagination
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}

	if raw, err := readMaybeGzip(filepath.Join(vdir, "examples-1.json")); err == nil {
		var ex struct {
			Examples map[string][]struct {
				Output any `json:"output"`
			} `json:"examples"`
		}
		if err := json.Unmarshal(raw, &ex); err != nil {
			return nil, fmt.Errorf("%s/examples-1.json: %w", vdir, err)
		}
		for opName, list := range ex.Examples {
			op := m.Operations[opName]
			if op == nil || op.Output == nil {
				continue
			}
			for _, e := range list {
				m.collectExampleValues(op.Output.Shape, "", e.Output, 0)
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return m, nil
}

// collectExampleValues walks an example's output value v along its shape
// and records each string under "Structure.Member" (key; a list's strings
// under the list's member).
func (m *Model) collectExampleValues(shapeName, key string, v any, depth int) {
	shape := m.Shapes[shapeName]
	if shape == nil || depth > 64 {
		return
	}
	switch v := v.(type) {
	case map[string]any:
		if shape.Type != "structure" {
			return
		}
		for k, el := range v {
			if ref, ok := shape.Members[k]; ok {
				m.collectExampleValues(ref.Shape, shapeName+"."+k, el, depth+1)
			}
		}
	case []any:
		if shape.Type != "list" || shape.Member == nil {
			return
		}
		for _, el := range v {
			m.collectExampleValues(shape.Member.Shape, key, el, depth+1)
		}
	case string:
		if key != "" {
			if m.ExampleValues[key] == nil {
				m.ExampleValues[key] = map[string]bool{}
			}
			m.ExampleValues[key][v] = true
		}
	}
}

// readMaybeGzip reads path, or path + ".gz" uncompressed (newer botocore
// releases gzip their models).
func readMaybeGzip(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	gz, err := os.ReadFile(path + ".gz")
	if err != nil {
		return nil, err
	}
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("%s.gz: %w", path, err)
	}
	b, err = io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s.gz: %w", path, err)
	}
	return b, nil
}

// Models holds loaded models by service name.
type Models map[string]*Model

// LoadAll loads each service's model from dataDir.
func LoadAll(dataDir string, services ...string) (Models, error) {
	ms := Models{}
	for _, s := range services {
		m, err := Load(dataDir, s)
		if err != nil {
			return nil, err
		}
		ms[s] = m
	}
	return ms, nil
}
