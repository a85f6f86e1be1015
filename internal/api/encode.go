package api

import (
	"bytes"
	"encoding/xml"
	"reflect"
	"sort"
	"strconv"

	"github.com/plink-dev/plink/internal/awsapi"
)

// Namespaces of the services' XML answers.
var namespaces = map[awsapi.Service]string{
	awsapi.EC2:   "http://ec2.amazonaws.com/doc/2016-11-15/",
	awsapi.ELBv2: "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
	awsapi.STS:   "https://sts.amazonaws.com/doc/2011-06-15/",
}

// encodeOutput writes the answer to a: EC2's <ActionResponse> with its
// requestId and the members, or awsQuery's <ActionResponse><ActionResult>
// with ResponseMetadata.
func encodeOutput(a *awsapi.Action, out any, requestID string) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<" + a.Name + "Response xmlns=\"" + namespaces[a.Service] + "\">")
	v := reflect.ValueOf(out)
	if a.Service == awsapi.EC2 {
		b.WriteString("<requestId>" + requestID + "</requestId>")
		writeMembers(&b, a.Output, v, a.Service)
	} else {
		b.WriteString("<" + a.Name + "Result>")
		writeMembers(&b, a.Output, v, a.Service)
		b.WriteString("</" + a.Name + "Result>")
		b.WriteString("<ResponseMetadata><RequestId>" + requestID + "</RequestId></ResponseMetadata>")
	}
	b.WriteString("</" + a.Name + "Response>")
	return b.Bytes()
}

func deref(v reflect.Value) (reflect.Value, bool) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return v, false
		}
		v = v.Elem()
	}
	return v, v.IsValid()
}

func writeMembers(b *bytes.Buffer, s *awsapi.Shape, v reflect.Value, svc awsapi.Service) {
	v, ok := deref(v)
	if !ok {
		return
	}
	for _, m := range s.Members {
		f := m.Field(v)
		if !m.Pointer && m.Shape.Kind.Scalar() && f.IsZero() && m.Shape.Kind != awsapi.Boolean && m.Shape.Kind != awsapi.Integer && m.Shape.Kind != awsapi.Long {
			continue // an unset string
		}
		writeValue(b, m.XMLName(svc), m.Shape, f, svc)
	}
}

func writeValue(b *bytes.Buffer, name string, s *awsapi.Shape, v reflect.Value, svc awsapi.Service) {
	v, ok := deref(v)
	if !ok {
		return
	}
	switch s.Kind {
	case awsapi.Structure:
		open(b, name)
		writeMembers(b, s, v, svc)
		closeTag(b, name)
	case awsapi.List:
		if v.IsNil() && svc != awsapi.EC2 {
			return
		}
		item := "member"
		if svc == awsapi.EC2 {
			item = "item"
		}
		open(b, name)
		for i := 0; i < v.Len(); i++ {
			writeValue(b, item, s.Elem, v.Index(i), svc)
		}
		closeTag(b, name)
	case awsapi.Map:
		if v.IsNil() {
			return
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		b.WriteString("<" + name + ">")
		for _, k := range keys {
			b.WriteString("<entry><key>")
			escapeString(b, k.String())
			b.WriteString("</key>")
			writeValue(b, "value", s.Elem, v.MapIndex(k), svc)
			b.WriteString("</entry>")
		}
		b.WriteString("</" + name + ">")
	default:
		open(b, name)
		writeScalar(b, v)
		closeTag(b, name)
	}
}

func open(b *bytes.Buffer, name string) {
	b.WriteByte('<')
	b.WriteString(name)
	b.WriteByte('>')
}

func closeTag(b *bytes.Buffer, name string) {
	b.WriteString("</")
	b.WriteString(name)
	b.WriteByte('>')
}

// writeScalar writes v's text as scalarString and xml.EscapeText would,
// without their allocations: numbers are appended in place and a string
// with nothing to escape is copied as is.
func writeScalar(b *bytes.Buffer, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		escapeString(b, v.String())
	case reflect.Bool:
		b.Write(strconv.AppendBool(b.AvailableBuffer(), v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.Write(strconv.AppendInt(b.AvailableBuffer(), v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		b.Write(strconv.AppendUint(b.AvailableBuffer(), v.Uint(), 10))
	default:
		escapeString(b, scalarString(v))
	}
}

// escapeString is xml.EscapeText of s: printable ASCII other than
// "&'<> is written unchanged, anything else goes through EscapeText.
func escapeString(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e || c == '"' || c == '&' || c == '\'' || c == '<' || c == '>':
			xml.EscapeText(b, []byte(s))
			return
		}
	}
	b.WriteString(s)
}

func scalarString(v reflect.Value) string {
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	}
	return ""
}

// encodeError writes an error in svc's shape: EC2's <Response><Errors>, or
// awsQuery's <ErrorResponse>.
func encodeError(svc awsapi.Service, code, msg, requestID string, status int) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	esc := func(s string) { xml.EscapeText(&b, []byte(s)) }
	if svc == awsapi.EC2 {
		b.WriteString("<Response><Errors><Error><Code>")
		esc(code)
		b.WriteString("</Code><Message>")
		esc(msg)
		b.WriteString("</Message></Error></Errors><RequestID>" + requestID + "</RequestID></Response>")
		return b.Bytes()
	}
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	b.WriteString("<ErrorResponse xmlns=\"" + namespaces[svc] + "\"><Error><Type>" + typ + "</Type><Code>")
	esc(code)
	b.WriteString("</Code><Message>")
	esc(msg)
	b.WriteString("</Message></Error><RequestId>" + requestID + "</RequestId></ErrorResponse>")
	return b.Bytes()
}
