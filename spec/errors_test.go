package spec

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestFieldErrorKeepsChain checks that a problem made from another error keeps it for
// errors.Is and errors.As, through Errors too, and that the text names the field.
func TestFieldErrorKeepsChain(t *testing.T) {
	cause := fmt.Errorf("resolve golang:1.26: %w", context.DeadlineExceeded)
	fe := &FieldError{Pos: Pos{3, 5}, Path: "go", Err: cause}
	if !errors.Is(fe, context.DeadlineExceeded) {
		t.Error("errors.Is does not reach the cause of a FieldError")
	}
	errs := Errors{{Pos: Pos{2, 1}, Path: "main", Msg: "required"}, fe}
	if !errors.Is(errs, context.DeadlineExceeded) {
		t.Error("errors.Is does not reach the cause through Errors")
	}
	var got *FieldError
	if !errors.As(fmt.Errorf("build: %w", errs), &got) || got.Path != "main" {
		t.Errorf("errors.As found %v, want the first FieldError", got)
	}
	for _, tt := range []struct {
		fe   *FieldError
		want string
	}{
		{fe, "3:5: go: resolve golang:1.26: context deadline exceeded"},
		{&FieldError{Path: "base", Msg: "unknown base", Err: errors.New("no such image")}, "base: unknown base: no such image"},
		{&FieldError{Pos: Pos{1, 1}, Msg: "required"}, "1:1: required"},
	} {
		if got := tt.fe.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
