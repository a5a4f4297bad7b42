package rest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/steps/rest"
	"github.com/ordohq/ordo/webhook"
)

// A receiver checks the signature of an order webhook, and Post reports
// the answer.
func ExampleClient_Post() {
	key, _ := webhook.KeyOf("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(key, r.Header, body, 0, time.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, `{"received":%q}`, r.Header.Get("Idempotency-Key"))
	}))
	defer srv.Close()

	c := &rest.Client{SigningSecret: key}
	resp, err := c.Post(context.Background(), &rest.Request{
		URL:            srv.URL + "/hooks/order",
		Body:           []byte(`{"order":"o-1"}`),
		IdempotencyKey: "inst-42.notify-warehouse",
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(resp.Status, string(resp.Body))
	// Output: 200 {"received":"inst-42.notify-warehouse"}
}

// How a caller tells the outcomes apart.
func ExampleClient_Post_classification() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/busy":
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/invalid":
			http.Error(w, `{"error":"unknown SKU"}`, http.StatusUnprocessableEntity)
		}
	}))
	defer srv.Close()

	c := &rest.Client{}
	for _, path := range []string{"/busy", "/invalid"} {
		_, err := c.Post(context.Background(), &rest.Request{URL: srv.URL + path, Body: []byte(`{}`), IdempotencyKey: "k"})
		delay, retryAfter := ordo.RetryAfterDelay(err)
		fmt.Printf("%s: non-retryable=%t retry-after=%t %s\n", path, ordo.IsNonRetryable(err), retryAfter, delay)
	}
	// Output:
	// /busy: non-retryable=false retry-after=true 30s
	// /invalid: non-retryable=true retry-after=false 0s
}

func ExampleVerifySignature() {
	secret := []byte("whsec_123")
	body := []byte(`{"order":"o-1"}`)
	signedAt := time.Unix(1767225600, 0)
	header := rest.Sign(secret, body, signedAt)
	fmt.Println(header)
	fmt.Println(rest.VerifySignature(secret, header, body, 5*time.Minute, signedAt.Add(time.Minute)))
	fmt.Println(rest.VerifySignature(secret, header, body, 5*time.Minute, signedAt.Add(time.Hour)) != nil)
	// Output:
	// t=1767225600,v1=442a4d121602d602882ca1aac1602c6e5fa7d3b22c4209e452c23b596480db8e
	// <nil>
	// true
}
