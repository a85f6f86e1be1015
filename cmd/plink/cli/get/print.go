package get

import (
	"fmt"
	"reflect"
	"time"

	"github.com/plink-dev/plink/cmd/plink/cli/cmdutil"
	"github.com/plink-dev/plink/cmd/plink/cli/resources"
	"github.com/plink-dev/plink/internal/output"
)

// clearScreen moves the cursor home and clears the terminal: a watch on a
// terminal redraws the whole table.
const clearScreen = "\x1b[H\x1b[2J"

// printer prints get's lists in the chosen format.
type printer struct {
	f    *cmdutil.Factory
	opts *Options
	tty  bool // a watch on a terminal: redraw rather than append
	// elsewhere is what to try when the caller's account has none of the
	// kind: the other accounts in the store (empty: none, or -A).
	elsewhere string
}

// all prints the whole list.
func (p *printer) all(items []resources.Item) error {
	switch p.opts.Format {
	case "table", "wide":
		if len(items) == 0 && !p.opts.Watch {
			// As kubectl: nothing on standard output, a word on standard error.
			fmt.Fprintf(p.f.IO.ErrOut, "No %s found.%s\n", p.opts.Kind.Name, p.elsewhere)
			return nil
		}
		return output.WriteRows(p.f.IO.Out, p.f.Color(), p.headers(), p.rows(items, ""))
	case "name":
		for _, it := range items {
			if _, err := fmt.Fprintf(p.f.IO.Out, "%s/%s\n", p.opts.Kind.Singular, it.ID); err != nil {
				return err
			}
		}
		return nil
	default:
		objs := make([]any, 0, len(items))
		for _, it := range items {
			objs = append(objs, it.Object)
		}
		pr, err := output.New(p.opts.Format, p.opts.Query)
		if err != nil {
			return &cmdutil.UsageError{Err: err}
		}
		return pr.Print(p.f.IO.Out, objs, nil)
	}
}

// changes prints what changed from before to after: on a terminal the
// whole table again; on a pipe the new and changed items, and the deleted
// ones with STATE deleted (the table's rows carry no header after the
// first table).
func (p *printer) changes(before, after []resources.Item) error {
	if p.tty && (p.opts.Format == "table" || p.opts.Format == "wide") {
		fmt.Fprint(p.f.IO.Out, clearScreen)
		return p.all(after)
	}
	old := map[string]resources.Item{}
	for _, it := range before {
		old[it.Account+"/"+it.ID] = it
	}
	var changed, deleted []resources.Item
	for _, it := range after {
		key := it.Account + "/" + it.ID
		prev, ok := old[key]
		delete(old, key)
		if !ok || !reflect.DeepEqual(prev.Cells, it.Cells) || !reflect.DeepEqual(prev.Object, it.Object) {
			changed = append(changed, it)
		}
	}
	for _, it := range before {
		if _, gone := old[it.Account+"/"+it.ID]; gone {
			deleted = append(deleted, it)
		}
	}
	if len(changed) == 0 && len(deleted) == 0 {
		return nil
	}
	switch p.opts.Format {
	case "table", "wide":
		rows := p.rows(changed, "")
		rows = append(rows, p.rows(deleted, "deleted")...)
		return output.WriteRows(p.f.IO.Out, p.f.Color(), nil, rows)
	default:
		return p.all(append(changed, deleted...))
	}
}

// headers are the table's column headers.
func (p *printer) headers() []string {
	var h []string
	if p.opts.AllAccounts {
		h = append(h, "ACCOUNT")
	}
	h = append(h, p.opts.Kind.IDHeader)
	for _, c := range p.opts.Kind.Columns {
		if !c.Wide || p.opts.Format == "wide" {
			h = append(h, c.Header)
		}
	}
	if p.opts.Kind.NoAge {
		return h
	}
	return append(h, "AGE")
}

// rows are the table's rows; state, when set, replaces the STATE cell.
func (p *printer) rows(items []resources.Item, state string) [][]string {
	now := p.f.Now()
	rows := make([][]string, 0, len(items))
	for _, it := range items {
		var r []string
		if p.opts.AllAccounts {
			r = append(r, it.Account)
		}
		r = append(r, it.ID)
		for i, c := range p.opts.Kind.Columns {
			if c.Wide && p.opts.Format != "wide" {
				continue
			}
			v := it.Cells[i]
			if state != "" && c.Header == "STATE" {
				v = state
			}
			r = append(r, v)
		}
		if !p.opts.Kind.NoAge {
			r = append(r, Age(it.Created, now))
		}
		rows = append(rows, r)
	}
	return rows
}

// Age is how long ago the RFC 3339 time at was, as kubectl shows it: 45s,
// 5m30s, 2h, 3d; <unknown> when at is empty or unreadable.
func Age(at string, now time.Time) string {
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return "<unknown>"
	}
	d := now.Sub(t)
	if d < 0 {
		d = 0
	}
	s := int(d.Seconds())
	m, h := s/60, s/3600
	switch {
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds", s)
	case d < 10*time.Minute:
		if s%60 == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%ds", m, s%60)
	case d < 3*time.Hour:
		return fmt.Sprintf("%dm", m)
	case d < 8*time.Hour:
		if m%60 == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", h)
	case d < 8*24*time.Hour:
		if h%24 == 0 {
			return fmt.Sprintf("%dd", h/24)
		}
		return fmt.Sprintf("%dd%dh", h/24, h%24)
	}
	return fmt.Sprintf("%dd", h/24)
}
