package email_test

import (
	"testing"

	"github.com/ordohq/ordo/steps/email"
)

func TestMessageID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		instance, step, domain, want string
	}{
		{"inst-1", "notify", "shop.example.com", "inst-1.notify@shop.example.com"},
		{"inst-1", "notify", "", "inst-1.notify@ordo"},
		{"0198c3f2-7a1b", "send_mail", "ordo", "0198c3f2-7a1b.send_mail@ordo"},
		{"a.b", "c", "ordo", "a=2Eb.c@ordo"},
		{"a", "b.c", "ordo", "a.b=2Ec@ordo"},
		{"o/1 <x>@y", "e-mail", "ordo", "o=2F1=20=3Cx=3E=40y.e-mail@ordo"},
		{"a=2E", "x", "ordo", "a=3D2E.x@ordo"},
		{"ü", "x", "ordo", "=C3=BC.x@ordo"},
		{"", "", "..shop..example.", "=.=@shop.example"},
		{"i", "s", "bad domain>", "i.s@bad=20domain=3E"},
	}
	for _, tt := range tests {
		got := email.MessageID(tt.instance, tt.step, tt.domain)
		if got != tt.want {
			t.Errorf("MessageID(%q, %q, %q) = %q, want %q", tt.instance, tt.step, tt.domain, got, tt.want)
		}
	}
	// Inputs that only differ in where the separator falls stay apart.
	if email.MessageID("a.b", "c", "") == email.MessageID("a", "b.c", "") {
		t.Error("MessageID is ambiguous across the instance/step boundary")
	}
}
