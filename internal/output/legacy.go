package output

import (
	"encoding/json"
	"strings"
	"unicode"
)

// The AWS CLI's JMESPath (jmespath.py) still accepts the legacy literal of
// JEP 12: a backtick literal whose text is not JSON is taken as a string, so
// `[?State==`available`]` means `[?State=='available']`. jmespath.py reads a
// literal's text up to the closing backtick (a backslash takes the next
// character with it), turns \` into `, and parses the text as JSON; when that
// fails it parses '"' + text with leading whitespace removed + '"' as a JSON
// string instead (so JSON escapes such as \n still work in it), and only when
// that also fails is the expression refused. go-jmespath knows only the first
// step, so rewriteLegacyLiterals does the second before it compiles.
//
// The one difference left: Python's JSON parser also reads NaN, Infinity and
// -Infinity, which JMESPath in Go cannot hold; a literal containing them is
// refused by plink, not taken as a string.

// legacyEdit records one rewritten literal: its span in the original
// expression and in the rewritten one, for mapping error offsets back.
type legacyEdit struct {
	origStart, origEnd int // the literal, backticks included
	newStart, newEnd   int
}

// rewriteLegacyLiterals returns expr with every backtick literal that is not
// JSON but is a legacy string literal replaced by the JSON string literal it
// stands for. Raw strings ('...') and quoted identifiers ("...") are copied
// untouched, as are valid JSON literals and literals jmespath.py refuses too
// (the parser then reports them). edits lists what was replaced, in order.
func rewriteLegacyLiterals(expr string) (string, []legacyEdit) {
	var b strings.Builder
	var edits []legacyEdit
	copied := 0 // expr[:copied] is in b
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		if c != '\'' && c != '"' && c != '`' {
			continue
		}
		end := closing(expr, i)
		if end < 0 {
			break // unclosed: the parser reports it
		}
		if c == '`' {
			if lit, ok := legacyLiteral(expr[i+1 : end]); ok {
				if edits == nil {
					b.Grow(len(expr) + 16)
				}
				b.WriteString(expr[copied:i])
				start := b.Len()
				b.WriteString(lit)
				edits = append(edits, legacyEdit{origStart: i, origEnd: end + 1, newStart: start, newEnd: b.Len()})
				copied = end + 1
			}
		}
		i = end
	}
	if edits == nil {
		return expr, nil
	}
	b.WriteString(expr[copied:])
	return b.String(), edits
}

// closing returns the index of the delimiter that closes the one at
// expr[open], a backslash escaping the byte after it, or -1.
func closing(expr string, open int) int {
	d := expr[open]
	for j := open + 1; j < len(expr); j++ {
		switch expr[j] {
		case '\\':
			j++
		case d:
			return j
		}
	}
	return -1
}

// legacyLiteral reads the text between two backticks as jmespath.py does.
// It reports false when the text is JSON (nothing to rewrite) or is not a
// legacy string either (nothing to rewrite; the parser refuses it); else it
// returns the literal, backticks included, that go-jmespath reads as the
// same string.
func legacyLiteral(text string) (string, bool) {
	text = strings.ReplaceAll(text, "\\`", "`")
	if json.Valid([]byte(text)) || pythonJSONExtension(text) {
		return "", false
	}
	var s string
	if err := json.Unmarshal([]byte(`"`+strings.TrimLeftFunc(text, pythonSpace)+`"`), &s); err != nil {
		return "", false
	}
	out, err := json.Marshal(s)
	if err != nil {
		return "", false
	}
	// The string's own backticks must not end the literal.
	return "`" + strings.ReplaceAll(string(out), "`", `\u0060`) + "`", true
}

// pythonJSONExtension reports whether text is JSON to Python's parser but
// not to Go's: Python's also reads NaN, Infinity and -Infinity as numbers.
// jmespath.py never takes such a literal as a string, so it must not become
// one here.
func pythonJSONExtension(text string) bool {
	if !strings.Contains(text, "NaN") && !strings.Contains(text, "Infinity") {
		return false
	}
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		switch {
		case text[i] == '"':
			end := closing(text, i)
			if end < 0 {
				return false
			}
			b.WriteString(text[i : end+1])
			i = end
		case strings.HasPrefix(text[i:], "-Infinity"):
			b.WriteString(" 0 ")
			i += len("-Infinity") - 1
		case strings.HasPrefix(text[i:], "Infinity"):
			b.WriteString(" 0 ")
			i += len("Infinity") - 1
		case strings.HasPrefix(text[i:], "NaN"):
			b.WriteString(" 0 ")
			i += len("NaN") - 1
		default:
			b.WriteByte(text[i])
		}
	}
	return json.Valid([]byte(b.String()))
}

// pythonSpace is Python's str.isspace, which str.lstrip uses: Unicode white
// space plus the ASCII separators U+001C..U+001F.
func pythonSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// originalOffset maps an offset in the rewritten expression back to the
// original one; an offset inside a rewritten literal maps to its start.
func originalOffset(off int, edits []legacyEdit) int {
	delta := 0 // original length minus rewritten length before off
	for _, e := range edits {
		if off < e.newStart {
			break
		}
		if off < e.newEnd {
			return e.origStart
		}
		delta += (e.origEnd - e.origStart) - (e.newEnd - e.newStart)
	}
	return off + delta
}
