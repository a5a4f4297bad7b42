package main

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo"
)

// jobs is an Exporter that records the jobs it was given.
type jobs struct {
	mu  sync.Mutex
	all []ExportJob
}

func (j *jobs) StartExport(_ context.Context, job ExportJob) error {
	j.mu.Lock()
	j.all = append(j.all, job)
	j.mu.Unlock()
	return nil
}

func (j *jobs) list() []ExportJob {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]ExportJob(nil), j.all...)
}

// TestExportAsyncStep: the export step starts the exporter and waits,
// holding no worker, until the exporter reports through the API; a
// reported failure starts the export again.
func TestExportAsyncStep(t *testing.T) {
	f := setup(t)
	x := &jobs{}
	f.app.Container.Register("exporter", Exporter(x))
	ctx := context.Background()
	if _, err := f.env.Engine.Create(ctx, ExportWorkflowName, nil, &ordo.CreateOptions{ID: "export-1"}); err != nil {
		t.Fatal(err)
	}
	post := func(path, body string) int {
		t.Helper()
		resp, err := http.Post(f.url+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitJobs := func(n int) ExportJob {
		t.Helper()
		f.env.WaitStatus("export-1", ordo.StatusWaiting)
		got := x.list()
		if len(got) != n {
			t.Fatalf("%d export jobs, want %d", len(got), n)
		}
		return got[n-1]
	}
	job := waitJobs(1)
	if job.Count != 3 || job.CompletePath != "/v1/instances/export-1/steps/export%231/complete" {
		t.Fatalf("job %+v", job)
	}
	if code := post(job.FailPath, `{"error": "warehouse busy"}`); code != http.StatusAccepted {
		t.Fatalf("fail: %d", code)
	}
	for deadline := time.Now().Add(10 * time.Second); len(x.list()) < 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the export never started again after its failure")
		}
	}
	job = waitJobs(2)
	if code := post(job.CompletePath, `{"output": {"url": "https://files.example/export.csv"}}`); code != http.StatusAccepted {
		t.Fatalf("complete: %d", code)
	}
	final := f.env.WaitDone("export-1")
	if final.Status != ordo.StatusComplete || string(final.Output) != `{"url":"https://files.example/export.csv"}` {
		t.Fatalf("final %s %s %+v", final.Status, final.Output, final.Error)
	}
	if code := post(job.CompletePath, `{"output": {}}`); code != http.StatusConflict {
		t.Fatalf("complete again: %d, want 409", code)
	}
}
