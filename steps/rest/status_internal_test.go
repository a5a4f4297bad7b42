package rest

import (
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"99999999999999999", time.Duration(1<<63 - 1).Truncate(time.Second), true},
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Sunday, 01-Mar-26 12:01:00 GMT", time.Minute, true},
		{"Sun Mar  1 12:00:05 2026", 5 * time.Second, true},
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0, true},
		{"tomorrow", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRetryAfter(%q) = %s, %t; want %s, %t", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestExcerpt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"short", "  not found\n", "not found"},
		{"lines joined", "<html>\n  <body>oops</body>\r\n</html>", "<html> <body>oops</body> </html>"},
		{"controls dropped", "a\x00b\x1bc", "abc"},
		{"invalid utf-8", "a\xffb", "a\uFFFDb"},
		{"long", strings.Repeat("x", 300), strings.Repeat("x", excerptBytes) + "…"},
		{"multibyte cut", strings.Repeat("x", excerptBytes-1) + "é and more", strings.Repeat("x", excerptBytes-1) + "…"},
	}
	for _, tt := range tests {
		if got := excerpt([]byte(tt.in)); got != tt.want {
			t.Errorf("%s: excerpt = %q, want %q", tt.name, got, tt.want)
		}
	}
}
