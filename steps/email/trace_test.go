package email_test

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/ordohq/ordo/steps/email"
)

// Each Send is an "smtp send" client span, a child of the caller's span,
// naming the server but not the recipients; a refused message's span has
// the error status and the SMTP reply code as error.type.
func TestSendSpans(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       serverOptions
		wantStatus codes.Code
		wantType   string
	}{
		{name: "accepted", wantStatus: codes.Unset},
		{name: "550 at RCPT", opts: serverOptions{rcpt: func(string) error { return smtpErr(550, "no such user") }},
			wantStatus: codes.Error, wantType: "550"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, tt.opts)
			exp := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
			s := newSender(t, email.Config{URL: "smtp://" + srv.addr + "?tls=none", TracerProvider: tp})
			ctx, parent := tp.Tracer("test").Start(context.Background(), "step notify")
			ctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			_ = s.Send(ctx, testMessage())
			parent.End()

			var got *tracetest.SpanStub
			for _, sp := range exp.GetSpans() {
				if sp.Name == "smtp send" {
					got = &sp
				}
			}
			if got == nil {
				t.Fatalf("no smtp send span in %d spans", len(exp.GetSpans()))
			}
			host, port, _ := net.SplitHostPort(srv.addr)
			attrs := map[attribute.Key]string{}
			for _, kv := range got.Attributes {
				attrs[kv.Key] = kv.Value.String()
			}
			want := map[attribute.Key]string{"server.address": host, "server.port": port, "ordo.email.recipients": strconv.Itoa(1)}
			if tt.wantType != "" {
				want["error.type"] = tt.wantType
			}
			for k, v := range want {
				if attrs[k] != v {
					t.Errorf("attribute %s = %q, want %q (all: %v)", k, attrs[k], v, attrs)
				}
			}
			if len(attrs) != len(want) {
				t.Errorf("attributes %v, want only %v (no recipients' addresses)", attrs, want)
			}
			if got.SpanKind != trace.SpanKindClient || got.Status.Code != tt.wantStatus {
				t.Errorf("kind %v status %v, want client and %v", got.SpanKind, got.Status, tt.wantStatus)
			}
			if got.Parent.SpanID() != parent.SpanContext().SpanID() {
				t.Errorf("span's parent is %v, want the caller's span %v", got.Parent.SpanID(), parent.SpanContext().SpanID())
			}
		})
	}
}
