package email_test

import (
	"strings"
	"testing"

	"github.com/ordohq/ordo/steps/email"
)

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct{ url, server string }{
		{"smtp://mail.example.com", "smtp://mail.example.com:25"},
		{"smtp://mail.example.com?tls=mandatory", "smtp://mail.example.com:25"},
		{"smtp://user:pass@mail.example.com", "smtp://mail.example.com:587"},
		{"smtp://user@mail.example.com:2525?tls=none&auth=login", "smtp://mail.example.com:2525"},
		{"smtps://user:pass@mail.example.com", "smtps://mail.example.com:465"},
		{"smtps://mail.example.com:4650/", "smtps://mail.example.com:4650"},
		{"smtp://[::1]:2525?tls=Mandatory", "smtp://[::1]:2525"},
	}
	for _, tt := range tests {
		s, err := email.New(email.Config{URL: tt.url, From: "shop@example.com"})
		if err != nil {
			t.Errorf("New(%q): %v", tt.url, err)
			continue
		}
		if got := s.Server(); got != tt.server {
			t.Errorf("New(%q).Server() = %q, want %q", tt.url, got, tt.server)
		}
	}
}

func TestNewErrorsNameTheField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  email.Config
		want string
	}{
		{"empty URL", email.Config{From: "a@b.c"}, "Config.URL is empty"},
		{"bad scheme", email.Config{URL: "http://mail.example.com", From: "a@b.c"}, `Config.URL http://mail.example.com: scheme "http"`},
		{"no host", email.Config{URL: "smtp://:25", From: "a@b.c"}, "no host"},
		{"bad port", email.Config{URL: "smtp://mail.example.com:70000", From: "a@b.c"}, "port"},
		{"malformed", email.Config{URL: "smtp://u:p@mail.example.com:x", From: "a@b.c"}, "Config.URL is not a valid URL"},
		{"path", email.Config{URL: "smtp://mail.example.com/inbox", From: "a@b.c"}, "unexpected path"},
		{"bad tls", email.Config{URL: "smtp://mail.example.com?tls=maybe", From: "a@b.c"}, "tls=maybe"},
		{"tls on smtps", email.Config{URL: "smtps://mail.example.com?tls=none", From: "a@b.c"}, "smtps:// always uses TLS"},
		{"bad auth", email.Config{URL: "smtp://u:p@mail.example.com?auth=kerberos", From: "a@b.c"}, "auth=kerberos"},
		{"auth without user", email.Config{URL: "smtp://mail.example.com?auth=plain", From: "a@b.c"}, "needs a user"},
		{"unknown parameter", email.Config{URL: "smtp://mail.example.com?starttls=1", From: "a@b.c"}, `unknown parameter "starttls"`},
		{"repeated parameter", email.Config{URL: "smtp://mail.example.com?tls=none&tls=mandatory", From: "a@b.c"}, "given 2 times"},
		{"empty From", email.Config{URL: "smtp://mail.example.com"}, "Config.From is empty"},
		{"bad From", email.Config{URL: "smtp://mail.example.com", From: "Shop"}, `Config.From "Shop"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := email.New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New(%+v) = %v, want an error containing %q", tt.cfg, err, tt.want)
			}
		})
	}
}

func TestNewErrorsHideThePassword(t *testing.T) {
	t.Parallel()
	for _, url := range []string{
		"smtp://u:hunter2@mail.example.com:x",
		"smtp://u:hunter2@mail.example.com?tls=maybe",
		"smtp://u:hunter2%zz@mail.example.com",
		"ftp://u:hunter2@mail.example.com",
	} {
		_, err := email.New(email.Config{URL: url, From: "a@b.c"})
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("New(%q) = %v, want an error without the password", url, err)
		}
	}
}
