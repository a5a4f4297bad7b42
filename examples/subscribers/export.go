package main

import (
	"context"
	"log/slog"
	"net/url"

	"github.com/ordohq/ordo"
)

// Exporter starts a long export elsewhere (a data warehouse, a person
// with a spreadsheet): it returns at once, and whoever does the export
// reports its result to Ordo when it is done (the seed's "perform long
// actions asynchronously, giving you control over when a step starts and
// finishes").
type Exporter interface {
	StartExport(ctx context.Context, job ExportJob) error
}

// ExportJob is what the exporter gets: the product count to export and
// where to report the result.
type ExportJob struct {
	Count int
	// CompletePath and FailPath are the API routes that finish the step
	// (POST, operate scope): {"output": {"url": ...}} or {"error": ...}.
	CompletePath, FailPath string
}

// LogExporter is an Exporter that logs the job, for an operator (or
// `ordo instances complete-step`) to finish.
type LogExporter struct{ Log *slog.Logger }

// StartExport logs job.
func (x LogExporter) StartExport(ctx context.Context, job ExportJob) error {
	x.Log.InfoContext(ctx, "subscribers: export requested", "count", job.Count, "complete", job.CompletePath, "fail", job.FailPath)
	return nil
}

// ExportResult is the output the exporter reports.
type ExportResult struct {
	URL string `json:"url"`
}

// ExportWorkflowName is the name of the export workflow.
const ExportWorkflowName = "product-export"

// exportOptions: the exporter has a day to report; a failure or a
// silent day starts the export again, twice at most.
var exportOptions = &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 2}}

// NewExportWorkflow counts the products, then exports them with an
// asynchronous step: the instance waits, holding no worker, until the
// exporter completes or fails step "export#1".
func NewExportWorkflow(c *Container) *ordo.Workflow[struct{}, ExportResult] {
	return ordo.NewWorkflow(ExportWorkflowName, func(ctx context.Context, _ struct{}) (ExportResult, error) {
		count, err := getProductCount.Do(ctx, c, struct{}{})
		if err != nil {
			return ExportResult{}, err
		}
		return ordo.DoAsync[ExportResult](ctx, "export", exportOptions, func(ctx context.Context, step ordo.StepInfo) error {
			x, err := Resolve[Exporter](c, "exporter")
			if err != nil {
				return ordo.NonRetryable(err)
			}
			base := "/v1/instances/" + url.PathEscape(step.InstanceID) + "/steps/" + url.PathEscape(step.Key)
			return x.StartExport(ctx, ExportJob{Count: count, CompletePath: base + "/complete", FailPath: base + "/fail"})
		})
	})
}
