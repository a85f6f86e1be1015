package cmdutil

import (
	"encoding/json"
	"fmt"
	"strings"
)

// DecodeShorthand fills out (a pointer to a struct or slice) from one AWS CLI
// structure argument: JSON when it starts with '{' or '[', else the AWS CLI
// shorthand syntax, e.g.
//
//	Name=vpc-id,Values=vpc-1,vpc-2
//	ResourceType=vpc-endpoint,Tags=[{Key=team,Value=a},{Key=env,Value=dev}]
//	IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=127.0.0.0/8}]
//
// A key repeated after commas without "=" takes a list, as the AWS CLI does
// ("Values=a,b"). Numbers and booleans given as strings are converted when
// the target field is a number or bool.
func DecodeShorthand(arg string, out any) error {
	s := strings.TrimSpace(arg)
	var v any
	if strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") {
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return fmt.Errorf("invalid JSON %q: %w", arg, err)
		}
	} else {
		p := &shParser{s: s}
		m, err := p.object(false)
		if err != nil {
			return fmt.Errorf("error parsing parameter %q: %w", arg, err)
		}
		v = m
	}
	b, _ := json.Marshal(v)
	if err := json.Unmarshal(b, out); err != nil {
		// Retry with scalars coerced (FromPort=80 arrives as a string).
		b, _ = json.Marshal(coerce(v))
		if err2 := json.Unmarshal(b, out); err2 != nil {
			return fmt.Errorf("invalid value %q: %w", arg, err)
		}
	}
	return nil
}

// DecodeShorthandList decodes each argument as one element of a list.
func DecodeShorthandList[T any](args []string) ([]T, error) {
	var out []T
	for _, a := range args {
		s := strings.TrimSpace(a)
		if strings.HasPrefix(s, "[") {
			var many []T
			if err := DecodeShorthand(s, &many); err != nil {
				return nil, err
			}
			out = append(out, many...)
			continue
		}
		var one T
		if err := DecodeShorthand(s, &one); err != nil {
			return nil, err
		}
		out = append(out, one)
	}
	return out, nil
}

func coerce(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = coerce(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = coerce(e)
		}
		return x
	case string:
		var n json.Number
		if err := json.Unmarshal([]byte(x), &n); err == nil {
			return n
		}
		if x == "true" || x == "false" {
			return x == "true"
		}
	}
	return v
}

// listKeys are shorthand keys whose single value is still a list.
var listKeys = map[string]struct{}{"Values": {}, "SubnetIds": {}, "Tags": {}, "IpRanges": {}, "Ipv6Ranges": {}, "Events": {}}

type shParser struct {
	s   string
	pos int
}

func (p *shParser) peek() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

// object parses key=value[,key=value...] up to '}' (when nested) or the end.
func (p *shParser) object(nested bool) (map[string]any, error) {
	m := map[string]any{}
	last := ""
	for p.pos < len(p.s) {
		if nested && p.peek() == '}' {
			return m, nil
		}
		start := p.pos
		for p.pos < len(p.s) && !strings.ContainsRune("=,}]", rune(p.s[p.pos])) {
			p.pos++
		}
		word := strings.TrimSpace(p.s[start:p.pos])
		if p.peek() == '=' {
			p.pos++
			val, err := p.value()
			if err != nil {
				return nil, err
			}
			if word == "" {
				return nil, fmt.Errorf("missing key before '=' at %d", start)
			}
			if _, isList := listKeys[word]; isList {
				if str, ok := val.(string); ok {
					val = []any{str}
				}
			}
			m[word] = val
			last = word
		} else {
			// A bare word continues the previous key's list.
			if last == "" {
				return nil, fmt.Errorf("expected key=value, got %q", word)
			}
			switch prev := m[last].(type) {
			case []any:
				m[last] = append(prev, word)
			default:
				m[last] = []any{prev, word}
			}
		}
		if p.peek() == ',' {
			p.pos++
		}
	}
	if nested {
		return nil, fmt.Errorf("missing '}'")
	}
	return m, nil
}

func (p *shParser) value() (any, error) {
	switch p.peek() {
	case '[':
		p.pos++
		var list []any
		for {
			if p.peek() == ']' {
				p.pos++
				return list, nil
			}
			if p.pos >= len(p.s) {
				return nil, fmt.Errorf("missing ']'")
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
			if p.peek() == ',' {
				p.pos++
			}
		}
	case '{':
		p.pos++
		m, err := p.object(true)
		if err != nil {
			return nil, err
		}
		p.pos++ // '}'
		return m, nil
	}
	start := p.pos
	for p.pos < len(p.s) && !strings.ContainsRune(",}]", rune(p.s[p.pos])) {
		p.pos++
	}
	return p.s[start:p.pos], nil
}
