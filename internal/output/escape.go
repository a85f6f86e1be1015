package output

import "github.com/plink-dev/plink/internal/escape"

// escapeTree returns v with escape.ControlLines applied to every string,
// map keys included (for YAML, whose encoder refuses control characters).
func escapeTree(v any) any {
	switch v := v.(type) {
	case string:
		return escape.ControlLines(v)
	case []any:
		out := make([]any, len(v))
		for i, el := range v {
			out[i] = escapeTree(el)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, el := range v {
			out[escape.ControlLines(k)] = escapeTree(el)
		}
		return out
	}
	return v
}
