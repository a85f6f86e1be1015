package cmdutil

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/plink-dev/plink/internal/escape"
)

// DecodeShorthand fills out (a pointer to a struct or slice) from one AWS CLI
// structure argument: JSON when it starts with '{' or '[', else the AWS CLI
// shorthand syntax, e.g.
//
//	Name=vpc-id,Values=vpc-1,vpc-2
//	ResourceType=vpc-endpoint,Tags=[{Key=team,Value=a},{Key=env,Value=dev}]
//	IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=127.0.0.0/8}]
//	Key=note,Value='a, b {c}'
//
// A key repeated after commas without "=" takes a list, as the AWS CLI does
// ("Values=a,b"). Numbers and booleans given as strings are converted when
// the target field is a number or bool. Anything else is an error: the
// parser reads each byte at most once, so a malformed argument fails in time
// and memory linear in its length.
func DecodeShorthand(arg string, out any) error {
	s := strings.TrimSpace(arg)
	var v any
	isJSON := strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[")
	if isJSON {
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return fmt.Errorf("invalid JSON %q: %w", escape.Clip(arg), err)
		}
	} else {
		m, err := parseShorthand(s)
		if err != nil {
			return fmt.Errorf("error parsing parameter %q: %w", escape.Clip(arg), err)
		}
		v = m
	}
	// FromPort=80 arrives as a string: convert it where out has a number;
	// HttpCode=200,204 arrives as a list: join it where out has a string.
	b, err := json.Marshal(coerce(v, reflect.TypeOf(out), !isJSON))
	if err != nil {
		return fmt.Errorf("invalid value %q: %w", escape.Clip(arg), err)
	}
	if err := decodeStrict(b, out); err != nil {
		if name, ok := unknownField(err); ok {
			return fmt.Errorf("unknown parameter %q in %q", name, escape.Clip(arg))
		}
		return fmt.Errorf("invalid value %q: %w", escape.Clip(arg), err)
	}
	return nil
}

// decodeStrict decodes b into out, refusing members out has no field for:
// as the AWS CLI does ("Unknown parameter"), rather than dropping them.
func decodeStrict(b []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}

// unknownField is the member name in encoding/json's unknown-field error.
func unknownField(err error) (string, bool) {
	name, ok := strings.CutPrefix(err.Error(), "json: unknown field ")
	if !ok {
		return "", false
	}
	return strings.Trim(name, `"`), true
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

// coerce converts the strings of v that stand where t (the type v is to
// be decoded into) has a number or a boolean, as the AWS CLI converts
// shorthand scalars by the operation's model: "80" for FromPort becomes 80,
// while a string member keeps "6" or "2024" as written. In shorthand, a
// list of strings where t has a string is one comma-separated string
// (HttpCode=200,204 is "200,204").
func coerce(v any, t reflect.Type, shorthand bool) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			switch t.Kind() {
			case reflect.Struct:
				if f, ok := jsonField(t, k); ok {
					x[k] = coerce(e, f, shorthand)
				}
			case reflect.Map:
				x[k] = coerce(e, t.Elem(), shorthand)
			}
		}
	case []any:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for i, e := range x {
				x[i] = coerce(e, t.Elem(), shorthand)
			}
		}
		if t.Kind() == reflect.String && shorthand {
			parts := make([]string, 0, len(x))
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return v
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, ",")
		}
	case string:
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
			reflect.Float32, reflect.Float64:
			if jsonNumber.MatchString(x) {
				return json.Number(x)
			}
		case reflect.Bool:
			if strings.EqualFold(x, "true") || strings.EqualFold(x, "false") {
				return strings.EqualFold(x, "true")
			}
		}
	}
	return v
}

var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// jsonField is the type of the field of struct t that encoding/json
// decodes member name into: the exact name first, then a case-insensitive
// match, as encoding/json does.
func jsonField(t reflect.Type, name string) (reflect.Type, bool) {
	var fold reflect.Type
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		if tag == name {
			return f.Type, true
		}
		if fold == nil && strings.EqualFold(tag, name) {
			fold = f.Type
		}
	}
	return fold, fold != nil
}

// listKeys are shorthand keys whose single value is still a list.
var listKeys = map[string]struct{}{"Values": {}, "SubnetIds": {}, "Tags": {}, "IpRanges": {}, "Ipv6Ranges": {}, "Events": {}}

// maxShorthandDepth bounds the nesting of [...] and {...}; the AWS models
// plink takes never nest deeper than four.
const maxShorthandDepth = 32

// The grammar, after the AWS CLI's (awscli/shorthand.py):
//
//	parameter = keyval *("," keyval)
//	keyval    = key "=" values
//	values    = list / hash / scalar *("," scalar)  ; a scalar not followed by "=" joins the list
//	list      = "[" [value *("," value)] "]"
//	hash      = "{" [keyval *("," keyval)] "}"
//	value     = list / hash / scalar
//	scalar    = quoted / unquoted                   ; unquoted: up to , ] } ("\," is a comma)
//	quoted    = "'" ... "'" / DQUOTE ... DQUOTE     ; \ escapes the quote and itself
type shParser struct {
	s     string
	pos   int
	depth int
}

func parseShorthand(s string) (map[string]any, error) {
	p := &shParser{s: s}
	m, err := p.keyvals(false)
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.s) { // keyvals stops only at the end or on an error
		return nil, p.errorf("unexpected %q", p.s[p.pos])
	}
	return m, nil
}

func (p *shParser) eof() bool { return p.pos >= len(p.s) }

func (p *shParser) peek() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func (p *shParser) skipSpace() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n' || p.s[p.pos] == '\r') {
		p.pos++
	}
}

func (p *shParser) errorf(format string, args ...any) error {
	return fmt.Errorf("at character %d: %s", p.pos+1, fmt.Sprintf(format, args...))
}

// keyvals parses key=values pairs up to the end, or up to (not past) the '}'
// that closes a hash when nested.
func (p *shParser) keyvals(nested bool) (map[string]any, error) {
	m := map[string]any{}
	p.skipSpace()
	if nested && p.peek() == '}' {
		return m, nil
	}
	for {
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		if _, dup := m[key]; dup {
			return nil, p.errorf("key %q given twice", key)
		}
		val, err := p.values()
		if err != nil {
			return nil, err
		}
		if _, isList := listKeys[key]; isList {
			if str, ok := val.(string); ok {
				val = []any{str}
			}
		}
		m[key] = val
		p.skipSpace()
		switch {
		case p.eof():
			if nested {
				return nil, p.errorf("missing '}'")
			}
			return m, nil
		case p.peek() == ',':
			p.pos++
		case nested && p.peek() == '}':
			return m, nil
		default:
			return nil, p.errorf("expected ',' or the end, got %q", p.peek())
		}
	}
}

// key reads a key and the '=' after it.
func (p *shParser) key() (string, error) {
	p.skipSpace()
	start := p.pos
	for !p.eof() && isKeyByte(p.peek()) {
		p.pos++
	}
	key := p.s[start:p.pos]
	p.skipSpace()
	if key == "" {
		if p.eof() {
			return "", p.errorf("expected key=value, got the end")
		}
		return "", p.errorf("expected a key, got %q", p.peek())
	}
	if p.peek() != '=' {
		return "", p.errorf("expected '=' after %q", key)
	}
	p.pos++
	return key, nil
}

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.#/:", c) >= 0
}

// values reads what follows "key=": a list, a hash, or one or more scalars
// separated by commas (a scalar followed by "=" is the next key instead).
func (p *shParser) values() (any, error) {
	p.skipSpace()
	switch p.peek() {
	case '[', '{':
		return p.value()
	}
	first, err := p.scalar()
	if err != nil {
		return nil, err
	}
	var list []any
	for p.peek() == ',' && !p.keyAhead(p.pos+1) {
		p.pos++
		p.skipSpace()
		if c := p.peek(); c == '[' || c == '{' {
			return nil, p.errorf("unexpected %q in a list of values", c)
		}
		at := p.pos
		v, err := p.scalar()
		if err != nil {
			return nil, err
		}
		if v == "" && !strings.ContainsAny(p.s[at:p.pos], `'"`) {
			return nil, p.errorf("empty value after ','")
		}
		if list == nil {
			list = []any{first}
		}
		list = append(list, v)
	}
	if list != nil {
		return list, nil
	}
	return first, nil
}

// keyAhead says whether a key and '=' start at i.
func (p *shParser) keyAhead(i int) bool {
	for i < len(p.s) && p.s[i] == ' ' {
		i++
	}
	start := i
	for i < len(p.s) && isKeyByte(p.s[i]) {
		i++
	}
	if i == start {
		return false
	}
	for i < len(p.s) && p.s[i] == ' ' {
		i++
	}
	return i < len(p.s) && p.s[i] == '='
}

// value reads one element: a list, a hash or a scalar.
func (p *shParser) value() (any, error) {
	p.skipSpace()
	switch p.peek() {
	case '[':
		return p.list()
	case '{':
		return p.hash()
	}
	return p.scalar()
}

func (p *shParser) enter() error {
	p.depth++
	if p.depth > maxShorthandDepth {
		return p.errorf("nested deeper than %d levels", maxShorthandDepth)
	}
	return nil
}

func (p *shParser) list() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.pos++ // '['
	list := []any{}
	p.skipSpace()
	if p.peek() == ']' {
		p.pos++
		return list, nil
	}
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		list = append(list, v)
		p.skipSpace()
		switch {
		case p.eof():
			return nil, p.errorf("missing ']'")
		case p.peek() == ',':
			p.pos++
		case p.peek() == ']':
			p.pos++
			return list, nil
		default:
			return nil, p.errorf("expected ',' or ']', got %q", p.peek())
		}
	}
}

func (p *shParser) hash() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.pos++ // '{'
	m, err := p.keyvals(true)
	if err != nil {
		return nil, err
	}
	p.pos++ // '}', checked by keyvals
	return m, nil
}

// scalar reads a quoted string, or an unquoted one up to ',', ']' or '}'
// (surrounding spaces dropped; "\," is a comma, other backslashes are
// kept).
func (p *shParser) scalar() (string, error) {
	p.skipSpace()
	if q := p.peek(); q == '\'' || q == '"' {
		return p.quoted(q)
	}
	var b strings.Builder
	start := p.pos
	for !p.eof() {
		c := p.peek()
		switch c {
		case ',', ']', '}':
			return strings.TrimRight(b.String(), " \t\r\n"), nil
		case '[', '{':
			if p.pos == start {
				return "", p.errorf("unexpected %q", c)
			}
		case '\\':
			// As in the AWS CLI, "\," is a comma inside the value, and
			// any other backslash is part of the value: an EC2 filter's
			// "\*" reaches the filter, a Windows path stays whole.
			if p.pos+1 < len(p.s) && p.s[p.pos+1] == ',' {
				p.pos++
				c = ','
			}
		}
		b.WriteByte(c)
		p.pos++
	}
	return strings.TrimRight(b.String(), " \t\r\n"), nil
}

func (p *shParser) quoted(q byte) (string, error) {
	open := p.pos
	p.pos++
	var b strings.Builder
	for !p.eof() {
		c := p.peek()
		switch {
		case c == q:
			p.pos++
			p.skipSpace()
			return b.String(), nil
		case c == '\\' && p.pos+1 < len(p.s) && (p.s[p.pos+1] == q || p.s[p.pos+1] == '\\'):
			p.pos++
			c = p.peek()
		}
		b.WriteByte(c)
		p.pos++
	}
	p.pos = open
	return "", p.errorf("missing closing %c", q)
}
