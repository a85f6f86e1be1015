package api

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/plink-dev/plink/internal/awsapi"
	"github.com/plink-dev/plink/internal/control"
)

// Client sends actions to a plink (or AWS-compatible) API server over the
// query protocol, signed with SigV4: the inverse of Handler, so plink's own
// CLI can act through a server (--endpoint-url) instead of on a store.
type Client struct {
	URL       string // the endpoint, e.g. http://127.0.0.1:4566
	AccessKey string // the caller's account (12 digits) or a configured key
	Secret    string
	Region    string
	HTTP      *http.Client
	Now       func() time.Time
}

// scopeService is the SigV4 signing name of each service.
var scopeService = map[awsapi.Service]string{awsapi.EC2: "ec2", awsapi.ELBv2: "elasticloadbalancing", awsapi.STS: "sts"}

// Call sends in (a *<Name>Input) as a and returns the *<Name>Output. An
// error answer is a *control.Error with the server's code and message.
func (c *Client) Call(ctx context.Context, a *awsapi.Action, in any) (any, error) {
	vals := EncodeInput(a, in)
	vals.Set("Action", a.Name)
	vals.Set("Version", a.Service.APIVersion())
	body := vals.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	now := time.Now().UTC()
	if c.Now != nil {
		now = c.Now().UTC()
	}
	id := &identity{accessKey: c.AccessKey, date: now.Format("20060102"), region: c.Region,
		service: scopeService[a.Service], amzDate: now.Format("20060102T150405Z"),
		signedHeaders: []string{"content-type", "host", "x-amz-date"}, body: []byte(body)}
	req.Header.Set("X-Amz-Date", id.amzDate)
	sig := signature(req, id, c.Secret)
	req.Header.Set("Authorization", sigAlgorithm+" Credential="+c.AccessKey+"/"+id.date+"/"+c.Region+"/"+id.service+
		"/aws4_request, SignedHeaders="+strings.Join(id.signedHeaders, ";")+", Signature="+sig)
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("could not connect to the endpoint URL %q: %w", c.URL, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		if e := DecodeError(rb); e != nil {
			return nil, e
		}
		return nil, fmt.Errorf("%s: HTTP %s", c.URL, resp.Status)
	}
	out := reflect.New(a.Output.Type).Interface()
	if err := DecodeOutput(a, rb, out); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", c.URL, a.Name, err)
	}
	return out, nil
}

// EncodeInput is the query parameters of in (a *<Name>Input): the exact
// inverse of decodeInput.
func EncodeInput(a *awsapi.Action, in any) url.Values {
	vals := url.Values{}
	encStruct(vals, a.Input, reflect.ValueOf(in), "", a.Service == awsapi.EC2)
	return vals
}

func encStruct(vals url.Values, s *awsapi.Shape, v reflect.Value, prefix string, ec2 bool) {
	v, ok := deref(v)
	if !ok {
		return
	}
	for _, m := range s.Members {
		name := m.Name
		if ec2 {
			name = m.QueryName()
		}
		f := m.Field(v)
		if !m.Pointer && m.Shape.Kind == awsapi.String && f.IsZero() {
			continue // unset: the decoder leaves the zero value
		}
		// Booleans and numbers are sent even when zero, so that a
		// structure of only such members arrives allocated.
		encValue(vals, m.Shape, f, join(prefix, name), ec2)
	}
}

func encValue(vals url.Values, s *awsapi.Shape, v reflect.Value, name string, ec2 bool) {
	v, ok := deref(v)
	if !ok {
		return
	}
	switch s.Kind {
	case awsapi.Structure:
		encStruct(vals, s, v, name, ec2)
	case awsapi.List:
		if v.IsNil() {
			return
		}
		if v.Len() == 0 {
			if !ec2 {
				vals.Set(name, "") // awsQuery's empty list
			}
			return
		}
		base := name
		if !ec2 {
			base = name + ".member"
		}
		for i := 0; i < v.Len(); i++ {
			encValue(vals, s.Elem, v.Index(i), base+"."+strconv.Itoa(i+1), ec2)
		}
	case awsapi.Map:
		base := name + ".entry"
		if ec2 {
			base = name
		}
		keys := v.MapKeys()
		sortValues(keys)
		for i, k := range keys {
			e := base + "." + strconv.Itoa(i+1)
			vals.Set(e+".key", k.String())
			encValue(vals, s.Elem, v.MapIndex(k), e+".value", ec2)
		}
	default:
		vals.Set(name, scalarString(v))
	}
}

func sortValues(keys []reflect.Value) {
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j].String() < keys[j-1].String(); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
}

// node is an XML element: its name, text and children in order.
type node struct {
	name     string
	text     string
	children []*node
}

func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

func parseXML(body []byte) (*node, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	var stack []*node
	var root *node
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("empty answer")
	}
	return root, nil
}

// DecodeError reads an error answer (EC2's <Response><Errors><Error> or
// awsQuery's <ErrorResponse><Error>) as a *control.Error; nil if body is
// not one.
func DecodeError(body []byte) *control.Error {
	root, err := parseXML(body)
	if err != nil {
		return nil
	}
	var e *node
	switch root.name {
	case "Response":
		if es := root.child("Errors"); es != nil {
			e = es.child("Error")
		}
	case "ErrorResponse":
		e = root.child("Error")
	}
	if e == nil || e.child("Code") == nil {
		return nil
	}
	msg := ""
	if m := e.child("Message"); m != nil {
		msg = m.text
	}
	return &control.Error{Code: e.child("Code").text, Message: msg}
}

// DecodeOutput fills out (a *<Name>Output) from a's XML answer: the
// inverse of encodeOutput.
func DecodeOutput(a *awsapi.Action, body []byte, out any) error {
	root, err := parseXML(body)
	if err != nil {
		return err
	}
	if root.name != a.Name+"Response" {
		return fmt.Errorf("unexpected answer <%s>", root.name)
	}
	if a.Service != awsapi.EC2 {
		if root = root.child(a.Name + "Result"); root == nil {
			return fmt.Errorf("no <%sResult> in the answer", a.Name)
		}
	}
	return decMembers(a.Output, reflect.ValueOf(out).Elem(), root, a.Service)
}

func decMembers(s *awsapi.Shape, v reflect.Value, n *node, svc awsapi.Service) error {
	for _, m := range s.Members {
		c := n.child(m.XMLName(svc))
		if c == nil {
			continue
		}
		if err := decValue(m.Shape, m.Field(v), c, svc); err != nil {
			return err
		}
	}
	return nil
}

func decValue(s *awsapi.Shape, v reflect.Value, n *node, svc awsapi.Service) error {
	switch s.Kind {
	case awsapi.Structure:
		return decMembers(s, alloc(v), n, svc)
	case awsapi.List:
		item := "member"
		if svc == awsapi.EC2 {
			item = "item"
		}
		var items []*node
		for _, c := range n.children {
			if c.name == item {
				items = append(items, c)
			}
		}
		lv := alloc(v)
		sl := reflect.MakeSlice(lv.Type(), len(items), len(items))
		for i, c := range items {
			if err := decValue(s.Elem, sl.Index(i), c, svc); err != nil {
				return err
			}
		}
		lv.Set(sl)
		return nil
	case awsapi.Map:
		mv := alloc(v)
		mv.Set(reflect.MakeMap(mv.Type()))
		for _, e := range n.children {
			k, val := e.child("key"), e.child("value")
			if e.name != "entry" || k == nil {
				continue
			}
			ev := reflect.New(mv.Type().Elem()).Elem()
			if val != nil {
				if err := decValue(s.Elem, ev, val, svc); err != nil {
					return err
				}
			}
			mv.SetMapIndex(reflect.ValueOf(k.text).Convert(mv.Type().Key()), ev)
		}
		return nil
	}
	if err := setScalar(s.Kind, alloc(v), n.text, n.name); err != nil {
		return err
	}
	return nil
}
