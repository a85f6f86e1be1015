package awscli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/plink-dev/plink/internal/awsapi"
)

// pager is the AWS CLI's client-side paging of an action that pages
// (awscli/customizations/paginate.py): by default every page is fetched and
// the result lists joined; --page-size sets the page's limit member,
// --max-items stops after so many items and answers a NextToken that
// --starting-token resumes from. Giving the action's own token or limit
// member (--next-token, --max-results, --marker), or --no-paginate, makes
// one call.
type pager struct {
	p             *awsapi.Paging
	pageSize      int
	maxItems      int
	startingToken string
}

// cliToken is what the NextToken of a truncated answer holds: the service's
// token of the page the next item is on, and how many items of that page
// were already printed. Encoded as the AWS CLI encodes it.
type cliToken struct {
	Token string `json:"NextToken,omitempty"`
	Skip  int    `json:"boto_truncate_amount,omitempty"`
}

func decodeCLIToken(s string) (cliToken, error) {
	var t cliToken
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return t, fmt.Errorf("--starting-token: not a token of a previous answer")
	}
	if err := json.Unmarshal(b, &t); err != nil || t.Skip < 0 {
		return t, fmt.Errorf("--starting-token: not a token of a previous answer")
	}
	return t, nil
}

func (t cliToken) encode() string {
	b, _ := json.Marshal(t)
	return base64.StdEncoding.EncodeToString(b)
}

// run calls call once per page, from in (a *<Action>Input), and returns the
// joined answer, ready to print.
func (pg *pager) run(a *awsapi.Action, in any, call func(in any) (any, error)) (any, error) {
	iv := reflect.ValueOf(in).Elem()
	tokenIn := a.Input.Member(pg.p.InputToken).Field(iv)
	var start cliToken
	if pg.startingToken != "" {
		var err error
		if start, err = decodeCLIToken(pg.startingToken); err != nil {
			return nil, err
		}
		tokenIn.SetString(start.Token)
	}
	if pg.pageSize > 0 {
		if err := setScalar(a.Input.Member(pg.p.LimitKey).Field(iv), reflect.ValueOf(pg.pageSize)); err != nil {
			return nil, err
		}
	}
	var joined reflect.Value // *<Action>Output
	type page struct {
		token string // the token it was asked with
		first int    // the index of its first item in the joined lists
	}
	var pages []page
	items := 0
	for {
		pages = append(pages, page{token: tokenIn.String(), first: items})
		out, err := call(in)
		if err != nil {
			return nil, err
		}
		ov := reflect.ValueOf(out).Elem()
		n := 0
		if !joined.IsValid() {
			joined = reflect.ValueOf(out)
			n = pg.count(a, ov)
		} else {
			for _, k := range pg.p.ResultKeys {
				m := a.Output.Member(k)
				src, dst := m.Field(ov), m.Field(joined.Elem())
				dst.Set(reflect.AppendSlice(dst, src))
				n = max(n, src.Len())
			}
		}
		items += n
		next := a.Output.Member(pg.p.OutputToken).Field(ov).String()
		if next == "" || (pg.maxItems > 0 && items-start.Skip > pg.maxItems) {
			break
		}
		tokenIn.SetString(next)
	}
	jv := joined.Elem()
	a.Output.Member(pg.p.OutputToken).Field(jv).SetString("")
	// Drop what a previous answer already printed, then cut at --max-items.
	total := 0
	for _, k := range pg.p.ResultKeys {
		l := a.Output.Member(k).Field(jv)
		skip := min(start.Skip, l.Len())
		l.Set(l.Slice(skip, l.Len()))
		total = max(total, l.Len())
	}
	if pg.maxItems <= 0 || total <= pg.maxItems {
		return joined.Interface(), nil
	}
	for _, k := range pg.p.ResultKeys {
		l := a.Output.Member(k).Field(jv)
		l.Set(l.Slice(0, min(pg.maxItems, l.Len())))
	}
	// The next item is item start.Skip+maxItems of the joined lists: find
	// its page.
	next := start.Skip + pg.maxItems
	tok := cliToken{}
	for i := len(pages) - 1; i >= 0; i-- {
		if pages[i].first <= next {
			tok = cliToken{Token: pages[i].token, Skip: next - pages[i].first}
			break
		}
	}
	return withNextToken(joined.Interface(), tok.encode())
}

// count is the number of items of a page: its longest result list.
func (pg *pager) count(a *awsapi.Action, ov reflect.Value) int {
	n := 0
	for _, k := range pg.p.ResultKeys {
		n = max(n, a.Output.Member(k).Field(ov).Len())
	}
	return n
}

// withNextToken is out with "NextToken": token added after its members, as
// the AWS CLI prints a truncated answer.
func withNextToken(out any, token string) (any, error) {
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	t, _ := json.Marshal(token)
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1])
	if len(b) > 2 {
		buf.WriteByte(',')
	}
	buf.WriteString(`"NextToken":`)
	buf.Write(t)
	buf.WriteByte('}')
	return json.RawMessage(buf.Bytes()), nil
}
