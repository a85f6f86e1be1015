// Package output is plink's one printer: it owns the -o formats (json, yaml,
// table, wide, text) and --query (JMESPath in the AWS CLI's dialect: a backtick literal that is
// not JSON is a string, as jmespath.py reads it), and it is the only package in
// plink that imports tablewriter.
//
// A command hands Print the Go value it would return from the AWS API (structs
// with AWS JSON tags, e.g. struct{ VpcEndpoints []VpcEndpoint
// `json:"VpcEndpoints"` }). Print turns that value into a generic JSON value
// with encoding/json, so struct tags decide field names, applies --query to
// the whole response as the AWS CLI does, and renders the result:
//
//   - json: indented with 4 spaces and ending in a newline, like the AWS CLI.
//     Object keys keep the order of the struct fields (the order of the AWS
//     API shapes); objects built by the query itself (multi-select hashes)
//     come out with sorted keys. A query result that is a string prints as a
//     JSON string ("vpce-123" in quotes), exactly like the AWS CLI.
//   - yaml: the same value through sigs.k8s.io/yaml (keys sorted).
//   - text: the AWS CLI text format: tab-separated scalars, one line per
//     object, nested lists and objects on their own lines prefixed by their
//     key in upper case, a list of scalars on one line, and a bare scalar
//     printed as is — so `--query X.Id --output text` prints just the ID.
//     Like the AWS CLI, null prints as None and booleans as True/False.
//   - table and wide: kubectl-style columns without borders (the header line
//     in bold with WithColor(true), the only colour plink prints). With a Table
//     spec and no --query, rows come from Table.List and cells from
//     Table.Columns; wide adds the Wide columns. With a --query, or without
//     a spec, a generic table is built from whatever value there is.
//
// Lists are always arrays: a nil slice or map anywhere in the value (through
// exported struct fields, pointers, interfaces, slices, maps) is printed as []
// or {} because Print replaces it on a copy before marshalling. Callers should
// still build empty slices, not nil ones, so that the values they return are
// correct for every other consumer; the printer only guarantees its own
// output. A value that marshals itself (json.Marshaler, encoding.TextMarshaler,
// json.RawMessage) is printed as it marshals: the printer cannot turn a null
// produced by a custom marshaller into [].
//
// Numbers: without a query, integers print exactly as encoding/json wrote them.
// JMESPath works on float64, so once a --query or a table column is evaluated
// numbers become float64: integers up to 2^53 stay exact and print without a
// decimal point.
//
// Empty tables: table and wide print the header line only (kubectl prints
// "No resources found" on stderr; the printer has only stdout, so a caller
// that wants such a message checks for an empty list itself).
package output

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	jmespath "github.com/jmespath-community/go-jmespath"
	"sigs.k8s.io/yaml"

	"github.com/plink-dev/plink/internal/escape"
)

// The output formats accepted by New.
const (
	FormatJSON  = "json"
	FormatYAML  = "yaml"
	FormatTable = "table"
	FormatWide  = "wide"
	FormatText  = "text"
)

// formats lists the allowed formats in the order error messages show them.
var formats = []string{FormatJSON, FormatText, FormatTable, FormatWide, FormatYAML}

// Formats returns the allowed output formats (for flag help and shell
// completion).
func Formats() []string { return slices.Clone(formats) }

// ErrUnknownFormat is wrapped by New when the format is not one of Formats.
// Callers map it to a usage error (exit 252).
var ErrUnknownFormat = errors.New("unknown output format")

// ErrInvalidQuery is wrapped by New when --query does not compile, and by
// Print when it cannot be evaluated on the value (for example a function
// given the wrong type). Callers map it to a usage error (exit 252).
var ErrInvalidQuery = errors.New("invalid --query")

// Column is one table column: Header, and Path, a JMESPath expression
// evaluated on one list item (e.g. "VpcEndpointId",
// "Groups[].GroupId | join(',', @)", "DnsEntries[0].DnsName"). Wide columns
// show only with -o wide.
//
// Headers are printed upper-case ("VPC Endpoint ID" -> "VPC ENDPOINT ID").
// A cell that is null, missing, an empty string or an empty list prints as
// <none>; a list of scalars prints comma-separated; an object or a list of
// objects prints as compact JSON.
type Column struct {
	Header, Path string
	Wide         bool
}

// Table says how to tabulate a value: List is the JMESPath of the rows (e.g.
// "VpcEndpoints", or "ServiceConfiguration" for a single object — a single
// object gives one row, null gives no rows); Columns the columns.
//
// Each resource declares its Table once; the paths are compiled on every
// Print, so an invalid path is reported as an error by Print (a programming
// error, tested by the resource's own tests).
type Table struct {
	List    string
	Columns []Column
}

// Printer renders command results in one output format, after an optional
// JMESPath query. A Printer holds no mutable state; it may be reused and
// used from several goroutines.
type Printer struct {
	format string
	query  string
	expr   jmespath.JMESPath // nil without a query
	color  bool
}

// WithColor returns a copy of p that prints the header line of -o table and
// -o wide in bold when color is true (the --color option; whether standard
// output is a terminal and NO_COLOR are the caller's to decide). Other
// formats never carry colour: their output is data for programs.
func (p *Printer) WithColor(color bool) *Printer {
	c := *p
	c.color = color
	return &c
}

// New returns a printer for format (json, yaml, table, wide, text; "" means
// json) and query (a JMESPath expression; "" means none). An unknown format
// gives an error wrapping ErrUnknownFormat that lists the allowed formats; a
// query that does not compile gives an error wrapping ErrInvalidQuery that
// shows where the expression is wrong.
func New(format, query string) (*Printer, error) {
	if format == "" {
		format = FormatJSON
	}
	if !slices.Contains(formats, format) {
		return nil, &kindError{kind: ErrUnknownFormat, msg: fmt.Sprintf(
			"unable to match a printer suitable for the output format %q, allowed formats are: %s",
			format, strings.Join(formats, ","))}
	}
	p := &Printer{format: format, query: query}
	if strings.TrimSpace(query) != "" {
		expr, err := compile(query)
		if err != nil {
			return nil, fmt.Errorf("%w %q: %s", ErrInvalidQuery, escape.Clip(query), describeSyntaxError(err))
		}
		p.expr = expr
	}
	return p, nil
}

// Format returns the printer's output format (never "").
func (p *Printer) Format() string { return p.format }

// Query returns the printer's --query expression ("" for none).
func (p *Printer) Query() string { return p.query }

// Print writes v to w in the printer's format. v is anything encoding/json can
// marshal; t describes the table for -o table and -o wide and may be nil (a
// generic table is printed then). Output is written only once it is complete:
// on error nothing is written to w.
func (p *Printer) Print(w io.Writer, v any, t *Table) error {
	doc, err := toDocument(v)
	if err != nil {
		return err
	}
	doc.color = p.color
	var buf bytes.Buffer
	if err := p.render(&buf, doc, t); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func (p *Printer) render(buf *bytes.Buffer, doc *document, t *Table) error {
	value := doc.root
	if p.expr != nil || (t != nil && (p.format == FormatTable || p.format == FormatWide)) {
		// JMESPath compares and computes on float64 only.
		value = numbersToFloat(value)
	}
	if p.expr != nil {
		res, err := p.expr.Search(value)
		if err != nil {
			return fmt.Errorf("%w %q: %v", ErrInvalidQuery, p.query, err)
		}
		value = res
	}
	switch p.format {
	case FormatJSON:
		if err := doc.writeJSON(buf, value); err != nil {
			return err
		}
	case FormatYAML:
		out, err := yaml.Marshal(escapeTree(value))
		if err != nil {
			return fmt.Errorf("printing yaml: %w", err)
		}
		buf.Write(out)
	case FormatText:
		writeText(buf, value)
	case FormatTable, FormatWide:
		wide := p.format == FormatWide
		if t != nil && p.expr == nil {
			return writeSpecTable(buf, doc, value, t, wide)
		}
		return writeGenericTable(buf, doc, value)
	}
	return nil
}

// kindError is an error with its own message that matches a sentinel with
// errors.Is.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// maxQueryBytes and maxQueryDepth bound a --query before the JMESPath
// parser sees it: the parser recurses once per nesting level, and 100,000
// '[' ran it out of memory. Real queries are a few hundred bytes deep in
// a handful of brackets.
const (
	maxQueryBytes = 10000
	maxQueryDepth = 100
)

// compile compiles a JMESPath expression in the AWS CLI's dialect: legacy
// backtick literals that are not JSON are strings (see legacy.go).
func compile(expr string) (jmespath.JMESPath, error) {
	if len(expr) > maxQueryBytes {
		return nil, fmt.Errorf("the expression is %d bytes long; at most %d are allowed", len(expr), maxQueryBytes)
	}
	if d := queryDepth(expr); d > maxQueryDepth {
		return nil, fmt.Errorf("the expression nests %d levels of brackets; at most %d are allowed", d, maxQueryDepth)
	}
	rewritten, edits := rewriteLegacyLiterals(expr)
	compiled, err := compileSafely(rewritten)
	var se jmespath.SyntaxError
	if err != nil && edits != nil && errors.As(err, &se) {
		// Point at the expression the user wrote.
		se.Expression = expr
		se.Offset = originalOffset(se.Offset, edits)
		return nil, se
	}
	return compiled, err
}

// compileSafely is jmespath.Compile with the library's panics turned into
// errors: its lexer indexes past the end of some non-ASCII input (found by
// FuzzLegacyRewrite: "A\u0080"), and a --query must never crash plink. The
// compiled expression is wrapped so that its evaluation is guarded too.
func compileSafely(expr string) (j jmespath.JMESPath, err error) {
	defer func() {
		if r := recover(); r != nil {
			j, err = nil, fmt.Errorf("the expression cannot be parsed (%v)", r)
		}
	}()
	c, err := jmespath.Compile(expr)
	if err != nil {
		return nil, err
	}
	return guarded{c}, nil
}

// guarded evaluates a compiled expression, turning a panic of the library
// into an error.
type guarded struct{ jmespath.JMESPath }

func (g guarded) Search(data any) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("evaluating the query failed (%v)", r)
		}
	}()
	return g.JMESPath.Search(data)
}

// queryDepth is the deepest nesting of (), [] and {} in a JMESPath
// expression, outside its string and JSON literals ('raw', "quoted",
// `json`, with backslash escapes).
func queryDepth(expr string) int {
	depth, deepest := 0, 0
	var quote byte
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case quote != 0 && c == '\\':
			i++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case c == '(' || c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case c == ')' || c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}

// describeSyntaxError turns a JMESPath syntax error into a message that
// points at the offending position. The expression is user input: its
// control characters print escaped.
func describeSyntaxError(err error) string {
	var se jmespath.SyntaxError
	if errors.As(err, &se) {
		return escape.Control(err.Error()) + "\n" + escapeHighlight(se)
	}
	return escape.Control(err.Error())
}

// escapeHighlight is se.HighlightLocation with the expression's control
// characters escaped and the caret moved to match.
func escapeHighlight(se jmespath.SyntaxError) string {
	expr := se.Expression
	offset := min(max(se.Offset, 0), len(expr))
	return escape.Control(expr) + "\n" + strings.Repeat(" ", utf8.RuneCountInString(escape.Control(expr[:offset]))) + "^"
}
