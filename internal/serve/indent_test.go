package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/plink-dev/plink/internal/netstack"
)

// TestIndentJSON checks indentJSON against json.MarshalIndent on ready
// files, with strings that need escapes.
func TestIndentJSON(t *testing.T) {
	var ls []netstack.ListenerInfo
	for i := range 50 {
		ls = append(ls, netstack.ListenerInfo{Address: fmt.Sprintf("127.0.%d.1:80", i), Endpoint: fmt.Sprintf("vpce-%d", i),
			LoadBalancer: "lb \"q\" \\ <&> é \u2028 \x01 ,:{}[]", Kind: netstack.KindEndpoint})
	}
	for _, v := range []any{
		ReadyInfo{DNS: []string{}, Errors: []string{}},
		ReadyInfo{PID: 7, Revision: 99, Listeners: ls, DNS: []string{"udp 127.0.0.1:53"}, Metrics: "127.0.0.1:9",
			Unserved: []string{"vpce-1"}, Errors: []string{"a \"b\" c", ""}},
		map[string]any{"a": []any{}, "b": map[string]any{}, "c": []any{1, 2.5, true, nil, map[string]any{}}, "d": "}\\\""},
		[]any{},
		"x",
	} {
		want, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		compact, _ := json.Marshal(v)
		if got := indentJSON(nil, compact, "  "); !bytes.Equal(got, want) {
			t.Errorf("indentJSON(%s):\n%s\nwant\n%s", compact, got, want)
		}
	}
}

// FuzzIndentJSON compares indentJSON with json.Indent on any valid JSON,
// compacted first as json.Marshal writes it.
func FuzzIndentJSON(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,{"b":"c\"}"}],"d":{}}`, `"\\"`, `[[],[{}],{"x":[]}]`, `1`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) {
			return
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, []byte(s)); err != nil {
			return
		}
		var want bytes.Buffer
		if err := json.Indent(&want, compact.Bytes(), "", "  "); err != nil {
			t.Fatal(err)
		}
		if got := indentJSON(nil, compact.Bytes(), "  "); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("indentJSON(%s) = %s, want %s", compact.Bytes(), got, want.Bytes())
		}
	})
}

// appendReady writes what json.MarshalIndent writes, byte for byte: empty
// and nil lists, omitted fields, strings that need escapes (quotes, HTML
// characters, control characters, non-ASCII, invalid UTF-8).
func TestAppendReadyMatchesMarshalIndent(t *testing.T) {
	odd := []string{"", "plain", "q\"uote", `back\slash`, "<&>", "a&b", "x>y", "é", "\u2028", "\x01\x1f", "\xff\xfe", "tab\t", "127.17.0.4:80", "[fd00::1]:443"}
	rnd := rand.New(rand.NewPCG(3, 4))
	pick := func() string { return odd[rnd.IntN(len(odd))] }
	list := func() []string {
		switch rnd.IntN(4) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		var out []string
		for range 1 + rnd.IntN(3) {
			out = append(out, pick())
		}
		return out
	}
	cases := []ReadyInfo{{}, {DNS: []string{}, Errors: []string{}, Listeners: []netstack.ListenerInfo{}}}
	for range 300 {
		info := ReadyInfo{PID: rnd.IntN(1 << 22), Revision: rnd.Int64() - rnd.Int64(), DNS: list(), Unserved: list(), Errors: list()}
		if rnd.IntN(2) == 0 {
			info.Metrics, info.API = pick(), pick()
		}
		if n := rnd.IntN(4); n > 0 {
			info.Listeners = []netstack.ListenerInfo{}
			for range n - 1 {
				info.Listeners = append(info.Listeners, netstack.ListenerInfo{Address: pick(), Endpoint: pick(), LoadBalancer: pick(), Kind: pick()})
			}
		}
		cases = append(cases, info)
	}
	for _, info := range cases {
		want, err := json.MarshalIndent(info, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if got := appendReady(nil, info); !bytes.Equal(got, want) {
			t.Fatalf("appendReady(%+v):\n%s\nwant\n%s", info, got, want)
		}
	}
}
