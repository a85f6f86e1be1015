package awscli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/plink-dev/plink/internal/awsapi"
)

// literalFileURL are members whose values are file:// URLs in their own
// right (a connection notification's target), not files to read.
var literalFileURL = map[string]bool{"ConnectionNotificationArn": true}

// paramValue is an option's value as the AWS CLI reads it: file://PATH is
// the file's text, fileb://PATH its bytes, anything else itself.
func paramValue(member, v string) (string, error) {
	var path string
	switch {
	case literalFileURL[member]:
		return v, nil
	case strings.HasPrefix(v, "file://"):
		path = strings.TrimPrefix(v, "file://")
	case strings.HasPrefix(v, "fileb://"):
		path = strings.TrimPrefix(v, "fileb://")
	default:
		return v, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("unable to load paramfile %s: %w", v, err)
	}
	return string(b), nil
}

// decodeInputJSON fills in (a *<Action>Input) from --cli-input-json or, with
// isYAML, --cli-input-yaml: the members by their AWS names; an unknown
// member is an error, as in the AWS CLI.
func decodeInputJSON(in any, doc string, isYAML bool) error {
	doc, err := paramValue("", doc)
	if err != nil {
		return err
	}
	b := []byte(doc)
	if isYAML {
		if b, err = yaml.YAMLToJSON(b); err != nil {
			return fmt.Errorf("invalid YAML: %w", err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return fmt.Errorf("unknown parameter in input: %s", name)
		}
		return fmt.Errorf("invalid input: %w", err)
	}
	return nil
}

// skeleton is the AWS CLI's --generate-cli-skeleton: every member of s
// with a placeholder value ("" for strings, 0 for numbers, true for
// booleans, one element in lists), members in their order.
func skeleton(s *awsapi.Shape) []byte {
	var buf bytes.Buffer
	writeSkeleton(&buf, s, "", 0)
	buf.WriteByte('\n')
	return buf.Bytes()
}

func writeSkeleton(buf *bytes.Buffer, s *awsapi.Shape, indent string, depth int) {
	const step = "    "
	if depth > 8 {
		buf.WriteString("{}")
		return
	}
	switch s.Kind {
	case awsapi.String:
		buf.WriteString(`""`)
	case awsapi.Integer, awsapi.Long, awsapi.Double:
		buf.WriteString("0")
	case awsapi.Boolean:
		buf.WriteString("true")
	case awsapi.List:
		buf.WriteString("[\n" + indent + step)
		writeSkeleton(buf, s.Elem, indent+step, depth+1)
		buf.WriteString("\n" + indent + "]")
	case awsapi.Map:
		buf.WriteString("{\n" + indent + step + `"KeyName": `)
		writeSkeleton(buf, s.Elem, indent+step, depth+1)
		buf.WriteString("\n" + indent + "}")
	default:
		if len(s.Members) == 0 {
			buf.WriteString("{}")
			return
		}
		buf.WriteString("{\n")
		for i, m := range s.Members {
			fmt.Fprintf(buf, "%s%q: ", indent+step, m.Name)
			writeSkeleton(buf, m.Shape, indent+step, depth+1)
			if i < len(s.Members)-1 {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		buf.WriteString(indent + "}")
	}
}
