package control

import (
	"strings"
	"unicode/utf8"
)

// fieldFunc returns the values of one filterable field of an item.
type fieldFunc[T any] func(T) []string

// applyFilters keeps the items that match every filter (a filter matches
// when any of its values matches any of the item's values; values may use
// the * and ? wildcards, as on EC2). Unknown filter names are refused as
// EC2 refuses them. tag:<key> and tag-key work on every resource whose
// fields include "tags" (values "key=value").
func applyFilters[T any](items []T, filters []Filter, fields map[string]fieldFunc[T]) ([]T, error) {
	if len(filters) > maxFilters {
		return nil, Errorf(ErrCodeFilterLimitExceeded, "The request uses %d filters: at most %d.", len(filters), maxFilters)
	}
	for _, f := range filters {
		if len(f.Values) > maxValuesPerFilter {
			return nil, Errorf(ErrCodeFilterLimitExceeded, "The filter '%s' has %d values: at most %d.", f.Name, len(f.Values), maxValuesPerFilter)
		}
		if f.Name == "" {
			return nil, missing("Filter.Name")
		}
		if _, ok := fields[f.Name]; (!ok || f.Name == "tags") && !(strings.HasPrefix(f.Name, "tag:") || f.Name == "tag-key") {
			return nil, invalidValue("The filter '%s' is invalid", f.Name)
		}
		if (strings.HasPrefix(f.Name, "tag:") || f.Name == "tag-key") && fields["tags"] == nil {
			return nil, invalidValue("The filter '%s' is invalid", f.Name)
		}
	}
	out := items[:0:0]
	for _, it := range items {
		if matchesAll(it, filters, fields) {
			out = append(out, it)
		}
	}
	return out, nil
}

func matchesAll[T any](it T, filters []Filter, fields map[string]fieldFunc[T]) bool {
	for _, f := range filters {
		var have []string
		switch {
		case strings.HasPrefix(f.Name, "tag:"):
			key := strings.TrimPrefix(f.Name, "tag:")
			for _, kv := range fields["tags"](it) {
				if k, v, _ := strings.Cut(kv, "="); k == key {
					have = append(have, v)
				}
			}
		case f.Name == "tag-key":
			for _, kv := range fields["tags"](it) {
				k, _, _ := strings.Cut(kv, "=")
				have = append(have, k)
			}
		default:
			have = fields[f.Name](it)
		}
		if !anyMatch(f.Values, have) {
			return false
		}
	}
	return true
}

func anyMatch(patterns, values []string) bool {
	for _, p := range patterns {
		for _, v := range values {
			if p == v {
				return true
			}
			if strings.ContainsAny(p, "*?") && globMatch(p, v) {
				return true
			}
		}
	}
	return false
}

// globMatch matches a filter value with AWS's wildcards: '*' is any run of
// characters ('/' included, so 127.16.* matches a CIDR), '?' is one
// character, and a backslash makes the next character literal. It runs in
// O(len(pattern)*len(value)) at worst: the greedy match with one
// backtracking point, never an exponential search.
func globMatch(pattern, value string) bool {
	if !utf8.ValidString(pattern) || !utf8.ValidString(value) {
		return pattern == value // no rune-wise wildcards over broken text
	}
	p, v := []rune(pattern), []rune(value)
	pi, vi := 0, 0
	star, mark := -1, 0
	for vi < len(v) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, vi
			pi++
		case pi < len(p) && p[pi] == '\\' && pi+1 < len(p) && p[pi+1] == v[vi]:
			pi += 2
			vi++
		case pi < len(p) && p[pi] != '\\' && (p[pi] == '?' || p[pi] == v[vi]):
			pi++
			vi++
		case star >= 0:
			pi = star + 1
			mark++
			vi = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func one(s string) []string { return []string{s} }

func boolStr(b bool) []string {
	if b {
		return one("true")
	}
	return one("false")
}

func tagStrings(tags []Tag) []string {
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = t.Key + "=" + t.Value
	}
	return out
}
