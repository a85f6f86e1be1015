package api

import (
	"bytes"
	"encoding/xml"
	"reflect"
	"sort"
	"strconv"
	"testing"

	"github.com/plink-dev/plink/internal/awsapi"
)

// The encoder as it was before its allocations were cut (reflection,
// string concatenation and xml.EscapeText per value): the reference the
// current one must match byte for byte.

func oldEncodeOutput(a *awsapi.Action, out any, requestID string) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<" + a.Name + "Response xmlns=\"" + namespaces[a.Service] + "\">")
	v := reflect.ValueOf(out)
	if a.Service == awsapi.EC2 {
		b.WriteString("<requestId>" + requestID + "</requestId>")
		oldWriteMembers(&b, a.Output, v, a.Service)
	} else {
		b.WriteString("<" + a.Name + "Result>")
		oldWriteMembers(&b, a.Output, v, a.Service)
		b.WriteString("</" + a.Name + "Result>")
		b.WriteString("<ResponseMetadata><RequestId>" + requestID + "</RequestId></ResponseMetadata>")
	}
	b.WriteString("</" + a.Name + "Response>")
	return b.Bytes()
}

func oldDeref(v reflect.Value) (reflect.Value, bool) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return v, false
		}
		v = v.Elem()
	}
	return v, v.IsValid()
}

func oldWriteMembers(b *bytes.Buffer, s *awsapi.Shape, v reflect.Value, svc awsapi.Service) {
	v, ok := oldDeref(v)
	if !ok {
		return
	}
	for _, m := range s.Members {
		f := m.Field(v)
		if !m.Pointer && m.Shape.Kind.Scalar() && f.IsZero() && m.Shape.Kind != awsapi.Boolean && m.Shape.Kind != awsapi.Integer && m.Shape.Kind != awsapi.Long {
			continue // an unset string
		}
		oldWriteValue(b, m.XMLName(svc), m.Shape, f, svc)
	}
}

func oldWriteValue(b *bytes.Buffer, name string, s *awsapi.Shape, v reflect.Value, svc awsapi.Service) {
	v, ok := oldDeref(v)
	if !ok {
		return
	}
	switch s.Kind {
	case awsapi.Structure:
		b.WriteString("<" + name + ">")
		oldWriteMembers(b, s, v, svc)
		b.WriteString("</" + name + ">")
	case awsapi.List:
		if v.IsNil() && svc != awsapi.EC2 {
			return
		}
		item := "member"
		if svc == awsapi.EC2 {
			item = "item"
		}
		b.WriteString("<" + name + ">")
		for i := 0; i < v.Len(); i++ {
			oldWriteValue(b, item, s.Elem, v.Index(i), svc)
		}
		b.WriteString("</" + name + ">")
	case awsapi.Map:
		if v.IsNil() {
			return
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		b.WriteString("<" + name + ">")
		for _, k := range keys {
			b.WriteString("<entry><key>")
			xml.EscapeText(b, []byte(k.String()))
			b.WriteString("</key>")
			oldWriteValue(b, "value", s.Elem, v.MapIndex(k), svc)
			b.WriteString("</entry>")
		}
		b.WriteString("</" + name + ">")
	default:
		b.WriteString("<" + name + ">")
		xml.EscapeText(b, []byte(oldScalarString(v)))
		b.WriteString("</" + name + ">")
	}
}

func oldScalarString(v reflect.Value) string {
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

// fill sets every field of v, recursively, from seed: strings with and
// without characters to escape, numbers, both booleans, lists of two,
// maps of two, nil pointers left for every third pointer.
func fill(v reflect.Value, seed *int, depth int) {
	*seed++
	n := *seed
	switch v.Kind() {
	case reflect.Pointer:
		if n%3 == 0 || depth > 6 {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), seed, depth+1)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), seed, depth+1)
			}
		}
	case reflect.Slice:
		if depth > 6 {
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(s.Index(0), seed, depth+1)
		fill(s.Index(1), seed, depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for _, k := range []string{"b<&>", "a"} {
			e := reflect.New(v.Type().Elem()).Elem()
			fill(e, seed, depth+1)
			m.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), e)
		}
		v.Set(m)
	case reflect.String:
		vals := []string{"plain-" + strconv.Itoa(n), "", "a<b>&c\"d'e", "tab\there\nline\r", "caf\u00e9 \xff\x01", `{"Version":"2012"}`}
		v.SetString(vals[n%len(vals)])
	case reflect.Bool:
		v.SetBool(n%2 == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(n*7919) - 5000)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(n * 104729))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(n) / 3)
	}
}

func TestEncoderMatchesReference(t *testing.T) {
	for _, a := range awsapi.Actions() {
		for seed := 0; seed < 3; seed++ {
			out := reflect.New(a.Output.Type)
			s := seed
			fill(out.Elem(), &s, 0)
			if seed == 2 {
				out = reflect.New(a.Output.Type) // the empty answer
			}
			got := encodeOutput(a, out.Interface(), "rid-1")
			want := oldEncodeOutput(a, out.Interface(), "rid-1")
			if !bytes.Equal(got, want) {
				t.Errorf("%s %s seed %d:\n got %s\nwant %s", a.Service, a.Name, seed, got, want)
			}
		}
	}
}
