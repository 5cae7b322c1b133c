package greet

import "testing"

func TestLine(t *testing.T) {
	if got := Line(" bonjour\n", "api"); got != "bonjour, api" {
		t.Errorf("Line = %q", got)
	}
}
