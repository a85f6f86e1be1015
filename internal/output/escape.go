package output

import (
	"fmt"
	"strings"
	"unicode"
)

// EscapeControl returns s with every control character (C0, DEL and C1:
// ESC, CSI, BEL, ...) written as a visible escape, so printing a value
// never drives the terminal: \t, \n and \r as themselves, other C0 and
// DEL as \x1b, C1 as \u009b. Everything else, backslashes included, is
// left as it is.
func EscapeControl(s string) string {
	return escapeControl(s, false)
}

// EscapeControlLines is EscapeControl for text of several lines, such as an
// error message: tab, newline and carriage return stay as they are.
func EscapeControlLines(s string) string {
	return escapeControl(s, true)
}

// escapeControl is EscapeControl; with keepSpace it leaves tab, newline and
// carriage return alone (for YAML, which quotes them itself).
func escapeControl(s string, keepSpace bool) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !unicode.IsControl(r):
			b.WriteRune(r)
		case keepSpace && (r == '\t' || r == '\n' || r == '\r'):
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// escapeTree returns v with escapeControl(s, true) applied to every string,
// map keys included (for YAML, whose encoder refuses control characters).
func escapeTree(v any) any {
	switch v := v.(type) {
	case string:
		return escapeControl(v, true)
	case []any:
		out := make([]any, len(v))
		for i, el := range v {
			out[i] = escapeTree(el)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, el := range v {
			out[escapeControl(k, true)] = escapeTree(el)
		}
		return out
	}
	return v
}
