package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ordohq/ordo"
)

func subscribeGreet(t *testing.T, e *ordo.Engine, name, event string) {
	t.Helper()
	if err := e.Subscribe(ordo.Subscription{Name: name, Event: event, If: "has(payload.name)",
		Start: func(_ context.Context, ev *ordo.PublishedEvent) (*ordo.SubscriptionStart, error) {
			return &ordo.SubscriptionStart{Workflow: "greet", Params: ev.Payload}, nil
		}}); err != nil {
		t.Fatal(err)
	}
}

func TestPublishEvents(t *testing.T) {
	hs, e := setup(t)
	subscribeGreet(t, e, "welcome", "user.signed_up")
	status, body := call(t, hs, "POST", "/v1/events", `{"id":"e1","type":"user.signed_up","payload":{"name":"Ann"}}`)
	if status != http.StatusAccepted {
		t.Fatalf("POST /v1/events = %d %v, want 202", status, body)
	}
	ds, _ := body["deliveries"].([]any)
	if len(ds) != 1 || ds[0].(map[string]any)["outcome"] != "started" || ds[0].(map[string]any)["instanceId"] != "welcome:e1" {
		t.Fatalf("deliveries = %v, want welcome started welcome:e1", body["deliveries"])
	}
	first := body["publishedAt"]
	status, body = call(t, hs, "POST", "/v1/events", `{"id":"e1","type":"user.signed_up","payload":{"name":"Bob"}}`)
	if status != http.StatusOK || body["publishedAt"] != first || !strings.Contains(mustMarshal(t, body["payload"]), "Ann") {
		t.Errorf("repeated id = %d %v, want 200 with the first event", status, body)
	}
	inst, err := e.Wait(t.Context(), "welcome:e1")
	if err != nil || string(inst.Output) != `"hello Ann"` {
		t.Errorf("instance = %+v, %v", inst, err)
	}
	status, body = call(t, hs, "POST", "/v1/events", `{"type":"user.signed_up","payload":{"nick":"x"}}`)
	if status != http.StatusAccepted || body["id"] == "" {
		t.Errorf("POST without id = %d %v, want 202 with a generated id", status, body)
	}
	for _, tc := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"payload":{}}`, 400, `is required`},
		{`{"type":"a b"}`, 400, "event type"},
		{`{"id":"-x","type":"t"}`, 400, "event id"},
		{`{"type":"t","extra":1}`, 400, "extra"},
		{`{"type":"t","payload":"` + strings.Repeat("x", 5000) + `"}`, 413, "limit"},
	} {
		status, body := call(t, hs, "POST", "/v1/events", tc.body)
		if status != tc.status || !strings.Contains(mustMarshal(t, body), tc.want) {
			t.Errorf("POST %.60s = %d %v, want %d mentioning %q", tc.body, status, body, tc.status, tc.want)
		}
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	var b strings.Builder
	if err := jsonEncode(&b, v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestListAndGetEvents(t *testing.T) {
	hs, e := setup(t)
	subscribeGreet(t, e, "welcome", "user.signed_up")
	for _, b := range []string{
		`{"id":"a","type":"user.signed_up","payload":{"name":"A"}}`,
		`{"id":"b","type":"cart.created"}`,
		`{"id":"c","type":"user.signed_up","payload":{}}`,
	} {
		if status, body := call(t, hs, "POST", "/v1/events", b); status != http.StatusAccepted {
			t.Fatalf("POST %s = %d %v", b, status, body)
		}
	}
	status, body := call(t, hs, "GET", "/v1/events?type=user.signed_up&limit=1", "")
	evs, _ := body["events"].([]any)
	if status != 200 || len(evs) != 1 || evs[0].(map[string]any)["id"] != "a" || body["nextCursor"] == nil {
		t.Fatalf("first page = %d %v", status, body)
	}
	status, body = call(t, hs, "GET", "/v1/events?type=user.signed_up&limit=1&cursor="+body["nextCursor"].(string), "")
	evs, _ = body["events"].([]any)
	if status != 200 || len(evs) != 1 || evs[0].(map[string]any)["id"] != "c" {
		t.Fatalf("second page = %d %v", status, body)
	}
	status, body = call(t, hs, "GET", "/v1/events/c", "")
	ds, _ := body["deliveries"].([]any)
	if status != 200 || len(ds) != 1 || ds[0].(map[string]any)["outcome"] != "filtered" {
		t.Errorf("GET /v1/events/c = %d %v, want the filtered delivery", status, body)
	}
	for path, want := range map[string]int{
		"/v1/events/nope":                       404,
		"/v1/events?since=yesterday":            400,
		"/v1/events?cursor=zzz":                 400,
		"/v1/events?limit=0":                    400,
		"/v1/events?since=2000-01-01T00:00:00Z": 200,
	} {
		if status, body := call(t, hs, "GET", path, ""); status != want {
			t.Errorf("GET %s = %d %v, want %d", path, status, body, want)
		}
	}
}

func TestReplayEvents(t *testing.T) {
	hs, e := setup(t)
	for _, id := range []string{"r1", "r2"} {
		if status, body := call(t, hs, "POST", "/v1/events", `{"id":"`+id+`","type":"user.imported","payload":{"name":"`+id+`"}}`); status != 202 {
			t.Fatalf("POST = %d %v", status, body)
		}
	}
	subscribeGreet(t, e, "late", "user.imported")
	status, body := call(t, hs, "POST", "/v1/events/replay", `{"subscription":"late"}`)
	if status != 200 || body["events"] != 2.0 || len(body["deliveries"].([]any)) != 2 {
		t.Fatalf("replay = %d %v, want 2 events delivered", status, body)
	}
	status, body = call(t, hs, "POST", "/v1/events/replay", `{"subscription":"late"}`)
	if status != 200 || body["skipped"] != 2.0 || len(body["deliveries"].([]any)) != 0 {
		t.Errorf("second replay = %d %v, want both skipped", status, body)
	}
	if inst, err := e.Wait(t.Context(), "late:r2"); err != nil || string(inst.Output) != `"hello r2"` {
		t.Errorf("replayed instance = %+v, %v", inst, err)
	}
	for b, want := range map[string]int{
		`{}`:                                   400,
		`{"subscription":"nope"}`:              404,
		`{"subscription":"late","type":"x"}`:   400,
		`{"subscription":"late","from":"x"}`:   400,
		`{"subscription":"late","limit":5000}`: 400,
	} {
		if status, body := call(t, hs, "POST", "/v1/events/replay", b); status != want {
			t.Errorf("replay %s = %d %v, want %d", b, status, body, want)
		}
	}
}

func jsonEncode(b *strings.Builder, v any) error { return json.NewEncoder(b).Encode(v) }
