package control

import (
	"reflect"
	"testing"
)

func TestVerificationNames(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"api.example.com", []string{"_t.api.example.com", "api.example.com", "_t.example.com", "example.com"}},
		{"*.example.com", []string{"_t.example.com", "example.com"}},
		{"a.b.example.co", []string{"_t.a.b.example.co", "a.b.example.co", "_t.b.example.co", "b.example.co", "_t.example.co", "example.co"}},
	}
	for _, tt := range tests {
		if got := verificationNames(tt.name, "_t"); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("verificationNames(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}
