// Package escape writes control characters (C0, DEL and C1: ESC, CSI,
// BEL, ...) as visible escapes, so that a value a user or a peer supplied
// never drives the terminal or the log it is printed to. The printers in
// internal/output, the error messages of internal/control and the errors
// the CLI prints all go through it.
package escape

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Control returns s with every control character written as a visible
// escape: \t, \n and \r as themselves, other C0 and DEL as \x1b, C1 as
// \u009b, and each byte that is not UTF-8 as \x9b (a raw 0x9b is CSI to
// a terminal in an 8-bit locale). Everything else, backslashes included,
// is left as it is.
func Control(s string) string {
	return control(s, false)
}

// ControlLines is Control for text of several lines, such as an error
// message or YAML (whose encoder quotes them itself): tab, newline and
// carriage return stay as they are.
func ControlLines(s string) string {
	return control(s, true)
}

func control(s string, keepSpace bool) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i]) // a byte that is not UTF-8
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

// Clip shortens what a message echoes of a huge value (a 1 MB argument) to
// its first 200 bytes and "...".
func Clip(s string) string {
	const most = 200
	if len(s) <= most {
		return s
	}
	return s[:most] + "..."
}
