package escape

import "testing"

func TestControl(t *testing.T) {
	for in, want := range map[string]string{
		"plain":               "plain",
		"":                    "",
		"a\x1b[31mred":        `a\x1b[31mred`,
		"bell\a":              `bell\x07`,
		"del\x7f":             `del\x7f`,
		"csi\u009b2J":         `csi\u009b2J`,
		"t\tn\nr\r":           `t\tn\nr\r`,
		`back\slash`:          `back\slash`,
		"ünïcødé ✓":           "ünïcødé ✓",
		"nul\x00":             `nul\x00`,
		"osc\x1b]0;title\x07": `osc\x1b]0;title\x07`,
		// A byte that is not UTF-8 is written as \xHH, whether or not the
		// text has a control character: a raw 0x9b is CSI to a terminal
		// in an 8-bit locale.
		"raw\x9b31m":       `raw\x9b31m`,
		"raw\x9b2J\x1b[0m": `raw\x9b2J\x1b[0m`,
		"cut\xc3":          `cut\xc3`,
		"kept\uFFFD":       "kept\uFFFD",
	} {
		if got := Control(in); got != want {
			t.Errorf("Control(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestControlLines(t *testing.T) {
	if got, want := ControlLines("a\tb\nc\x1b[1m"), "a\tb\nc\\x1b[1m"; got != want {
		t.Errorf("ControlLines = %q, want %q", got, want)
	}
}
