package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/store/memory"
)

func TestWrapText(t *testing.T) {
	long := "https://erp.example.com/" + strings.Repeat("x", 40)
	for _, tc := range []struct {
		name  string
		in    string
		width int
		want  []string
	}{
		{"short", "POST failed", 20, []string{"POST failed"}},
		{"words", "one two three four five", 9, []string{"one two", "three", "four five"}},
		{"long word stays whole", "see " + long + " now", 20, []string{"see", long, "now"}},
		{"own line breaks", "first line\nsecond", 40, []string{"first line", "second"}},
		{"runes", "ééé ééé", 3, []string{"ééé", "ééé"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, wrapText(tc.in, tc.width)); diff != "" {
				t.Errorf("wrapText(%q, %d) (-want +got):\n%s", tc.in, tc.width, diff)
			}
		})
	}
}

// longError is a step error longer than a table cell, with a long URL.
var longError = "POST https://erp.example.com/api/v2/orders/C-3001/production-files?notify=workshop&retry=never " +
	"answered 422 Unprocessable Entity: " + strings.Repeat("the field items[0].product.parameters.size is out of range; ", 4) + "END"

// TestCLIErrorsWhole: describe prints a failed step's error whole,
// wrapped at the terminal's width, never cut; --status takes any case.
func TestCLIErrorsWhole(t *testing.T) {
	t.Setenv("COLUMNS", "72")
	log := slog.New(slog.DiscardHandler)
	e, err := ordo.NewEngine(ordo.Config{Store: memory.New(), Logger: log, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	wf := ordo.NewWorkflow("notify", func(ctx context.Context, _ map[string]string) (string, error) {
		return ordo.Do(ctx, "notify-erp", nil, func(ctx context.Context) (string, error) {
			return "", ordo.NonRetryable(errors.New(longError))
		})
	})
	if err := e.Register(wf); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv, _ := api.New(api.Config{Engine: e, Logger: log})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	if _, _, err := runCLI(t, "instances", "create", "notify", "--id", "n-1", "--server", hs.URL); err != nil {
		t.Fatal(err)
	}
	desc := waitCLI(t, hs.URL, "n-1", "errored")
	if strings.Contains(desc, "…") {
		t.Errorf("describe cut something:\n%s", desc)
	}
	if !strings.Contains(desc, "error [1] below") || !strings.Contains(desc, "\nErrors\n  [1] POST") {
		t.Errorf("the step's error is not referenced and printed below the table:\n%s", desc)
	}
	// Every word of the error is there, in order, on lines of at most 72
	// characters except the URL, which is never split.
	_, errorsPart, _ := strings.Cut(desc, "\nErrors\n")
	if got := strings.Join(strings.Fields(strings.TrimPrefix(strings.TrimSpace(errorsPart), "[1]")), " "); got != longError {
		t.Errorf("error below the table:\n got %q\nwant %q", got, longError)
	}
	head, _, _ := strings.Cut(desc, "\nSteps\n")
	for line := range strings.SplitSeq(head+errorsPart, "\n") {
		if len([]rune(line)) > 72 && !strings.Contains(line, "https://") {
			t.Errorf("line longer than COLUMNS=72: %q", line)
		}
	}
	t.Logf("describe:\n%s", desc)
	if !strings.Contains(desc, "Error     ") {
		t.Errorf("describe lacks the instance's error:\n%s", desc)
	}
	for _, status := range []string{"ERRORED", "Errored", "errored"} {
		out, _, err := runCLI(t, "instances", "list", "--status", status, "--server", hs.URL)
		if err != nil || !strings.Contains(out, "n-1") {
			t.Errorf("instances list --status %s: %q %v", status, out, err)
		}
	}
}
