package serve

import (
	"encoding/json"
	"strconv"
)

// appendReady appends info as json.MarshalIndent(info, "", "  ") writes
// it, without reflection. serve writes the ready file on every change, and
// at 10,000 endpoints its listener list is 1.5 MB: encoding/json and the
// indent pass were 9 % of serve's CPU per change.
func appendReady(b []byte, info ReadyInfo) []byte {
	b = append(b, "{\n  \"pid\": "...)
	b = strconv.AppendInt(b, int64(info.PID), 10)
	b = append(b, ",\n  \"revision\": "...)
	b = strconv.AppendInt(b, info.Revision, 10)
	b = append(b, ",\n  \"listeners\": "...)
	switch {
	case info.Listeners == nil:
		b = append(b, "null"...)
	case len(info.Listeners) == 0:
		b = append(b, "[]"...)
	default:
		b = append(b, '[')
		for i, l := range info.Listeners {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n    {\n      \"address\": "...)
			b = appendJSONString(b, l.Address)
			b = append(b, ",\n      \"endpoint\": "...)
			b = appendJSONString(b, l.Endpoint)
			b = append(b, ",\n      \"load_balancer\": "...)
			b = appendJSONString(b, l.LoadBalancer)
			b = append(b, ",\n      \"kind\": "...)
			b = appendJSONString(b, l.Kind)
			b = append(b, "\n    }"...)
		}
		b = append(b, "\n  ]"...)
	}
	b = append(b, ",\n  \"dns\": "...)
	b = appendJSONStrings(b, info.DNS)
	if info.Metrics != "" {
		b = append(b, ",\n  \"metrics\": "...)
		b = appendJSONString(b, info.Metrics)
	}
	if info.API != "" {
		b = append(b, ",\n  \"api\": "...)
		b = appendJSONString(b, info.API)
	}
	if len(info.Unserved) > 0 {
		b = append(b, ",\n  \"unserved\": "...)
		b = appendJSONStrings(b, info.Unserved)
	}
	b = append(b, ",\n  \"errors\": "...)
	b = appendJSONStrings(b, info.Errors)
	return append(b, "\n}"...)
}

// appendJSONStrings appends a list of strings at the ready file's top
// level, indented as json.MarshalIndent does.
func appendJSONStrings(b []byte, ss []string) []byte {
	switch {
	case ss == nil:
		return append(b, "null"...)
	case len(ss) == 0:
		return append(b, "[]"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n    "...)
		b = appendJSONString(b, s)
	}
	return append(b, "\n  ]"...)
}

// appendJSONString appends s quoted as encoding/json quotes it. Printable
// ASCII other than the quote, the backslash and the HTML characters it
// escapes goes as it is; anything else goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
