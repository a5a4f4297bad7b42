// Package bulk applies one operator action (cancel, terminate, restart,
// resume, pause) to every instance or order a listing filter selects, as
// a durable job.
//
// A dry run (Service.DryRun) counts the instances the filter selects and
// returns a sample. A real run (Service.Start) is itself an engine
// instance, of the reserved workflow "ordo/bulk": its steps page through
// the filter with the store's cursor, newest first, and apply the action
// to each page, one durable step per page, so an interrupted job (paused,
// its process stopped or killed) resumes at the page it was on. Progress
// (processed, succeeded, skipped, failed with the first errors) is the
// sum of the finished pages; Service.Get reads it while the job runs.
//
// The set of instances is frozen when the job starts: the listing begins
// at the start time, so instances created afterwards are not swept in,
// and an instance is visited once however its status changes (a restarted
// instance keeps its place in the listing). No action is applied twice to
// an instance, even when a page runs again after an interruption: the
// store refuses a second cancel, pause, resume or terminate (the instance
// is no longer in a status that allows it; it is reported skipped), and
// restart acts only on instances that have not changed since the job
// started.
//
// Each action on an instance goes through the engine's control methods
// with the actor and reason of whoever started the job, so the audit trail
// names the operator for every instance; the start itself is recorded as
// "bulk.start" where the store keeps an audit trail.
package bulk
