package api

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/plink-dev/plink/internal/awsapi"
)

// jsonOf compares values as the CLI prints them, where the wire cannot
// tell a nil list from an empty one in EC2's protocol.
func jsonOf(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestClientRoundTrip encodes every action's sample input as the client
// does and decodes it as the server does, and encodes every sample output
// as the server does and decodes it as the client does.
func TestClientRoundTrip(t *testing.T) {
	for _, a := range awsapi.Actions() {
		seed := 1
		in := a.NewInput()
		fill(reflect.ValueOf(in).Elem(), &seed, 0)
		vals := EncodeInput(a, in)
		q, err := url.ParseQuery(vals.Encode())
		if err != nil {
			t.Fatal(err)
		}
		got := a.NewInput()
		if err := decodeInput(a, q, got); err != nil {
			t.Errorf("%s input: %v\n%v", a.Name, err, vals)
			continue
		}
		if g, w := jsonOf(t, got), jsonOf(t, in); g != w {
			t.Errorf("%s input round trip:\n got %s\nwant %s", a.Name, g, w)
		}

		out := reflect.New(a.Output.Type).Interface()
		fill(reflect.ValueOf(out).Elem(), &seed, 0)
		body := encodeOutput(a, out, "rid")
		gotOut := reflect.New(a.Output.Type).Interface()
		if err := DecodeOutput(a, body, gotOut); err != nil {
			t.Errorf("%s output: %v\n%s", a.Name, err, body)
			continue
		}
		// XML 1.0 cannot carry the sample's invalid byte and control
		// character: the encoder writes U+FFFD for each, as AWS's would.
		w := strings.ReplaceAll(jsonOf(t, out), `\ufffd\u0001`, "\ufffd\ufffd")
		if g := jsonOf(t, gotOut); g != w {
			t.Errorf("%s output round trip:\n got %s\nwant %s", a.Name, g, w)
		}
	}
}

func TestDecodeError(t *testing.T) {
	for _, svc := range []awsapi.Service{awsapi.EC2, awsapi.ELBv2} {
		e := DecodeError(encodeError(svc, "InvalidVpcID.NotFound", "The vpc ID 'vpc-1' & <x> does not exist", "rid", 400))
		if e == nil || e.Code != "InvalidVpcID.NotFound" || e.Message != "The vpc ID 'vpc-1' & <x> does not exist" {
			t.Errorf("%s: %+v", svc, e)
		}
	}
	if DecodeError([]byte("<html/>")) != nil {
		t.Error("not an error answer")
	}
}
