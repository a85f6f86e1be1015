package awsmodel

import (
	"fmt"
	"slices"
)

// Newer is a part of the AWS API that the installed models predate
// (Debian's botocore lags AWS): an operation, or members of structures.
// Models.AddNewer puts it into the loaded models, so that Check compares
// plink with the API AWS documents today, narrowly: only what it names.
type Newer struct {
	Service string
	// Shapes are the shapes the additions need that the model lacks.
	Shapes map[string]*Shape
	// Members are members the model's structures lack, by "Shape.Member".
	Members map[string]ShapeRef
	// Operation is an operation the model lacks, or the input or output
	// of one the model has without it (DeleteSecurityGroup's output).
	Operation *Operation
	// Reason says where AWS documents it and since when.
	Reason string
}

// AddNewer adds n to the models. It is an error when the model has any of
// it already: the allowance is stale (the installed models caught up) and
// must go.
func (ms Models) AddNewer(n Newer) error {
	m := ms[n.Service]
	if m == nil {
		return fmt.Errorf("newer %s: no model loaded for service %q", n.Service, n.Service)
	}
	stale := func(what string) error {
		return fmt.Errorf("newer %s: the installed model (%s) has %s: the allowance is stale, remove it (%s)", n.Service, m.APIVersion, what, n.Reason)
	}
	for _, name := range sortedKeys(n.Shapes) {
		if m.Shapes[name] != nil {
			return stale("shape " + name)
		}
	}
	for _, key := range sortedKeys(n.Members) {
		shape, member := splitMember(key)
		s := m.Shapes[shape]
		if s == nil && n.Shapes[shape] == nil {
			return fmt.Errorf("newer %s: no structure %s for member %s", n.Service, shape, key)
		}
		if s != nil {
			if _, ok := s.Members[member]; ok {
				return stale("member " + key)
			}
		}
	}
	for _, key := range sortedKeys(n.Members) {
		if ref := n.Members[key]; m.Shapes[ref.Shape] == nil && n.Shapes[ref.Shape] == nil {
			return fmt.Errorf("newer %s: member %s: no shape %s", n.Service, key, ref.Shape)
		}
	}
	if op := n.Operation; op != nil {
		if have := m.Operations[op.Name]; have != nil {
			if op.Input != nil && have.Input != nil || op.Output != nil && have.Output != nil || op.Input == nil && op.Output == nil {
				return stale("operation " + op.Name)
			}
		}
	}
	for name, s := range n.Shapes {
		m.Shapes[name] = s
	}
	for key, ref := range n.Members {
		shape, member := splitMember(key)
		s := m.Shapes[shape]
		if s.Members == nil {
			s.Members = map[string]ShapeRef{}
		}
		s.Members[member] = ref
	}
	if op := n.Operation; op != nil {
		have := m.Operations[op.Name]
		if have == nil {
			cp := *op
			m.Operations[op.Name] = &cp
		} else {
			if op.Input != nil {
				have.Input = op.Input
			}
			if op.Output != nil {
				have.Output = op.Output
			}
		}
	}
	return nil
}

func splitMember(key string) (shape, member string) {
	for i := 0; i < len(key); i++ {
		if key[i] == '.' {
			return key[:i], key[i+1:]
		}
	}
	return key, ""
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
