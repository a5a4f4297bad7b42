// Package schedule runs durable schedules: cron expressions (in an IANA
// time zone) or fixed intervals that start a workflow instance, or create
// a recurring order, at each scheduled time.
//
// Nothing is scheduled in memory. Each schedule's next fire time
// (next_run_at) is stored, and a Scheduler claims the due ones in the
// database (store.ScheduleStore: FOR UPDATE SKIP LOCKED on PostgreSQL, one
// write transaction on SQLite), advancing next_run_at in the same
// transaction, so each scheduled time goes to one worker however many run.
// A fire's instance ID is derived from the schedule and the scheduled time
// (InstanceID), so even a fire taken over after a worker died cannot start
// a second instance: the create fails with ordo.ErrAlreadyExists and the
// fire is recorded as already-existed.
//
// Policies: Overlap (skip, buffer_one, allow_all) decides what a fire does
// while the previous fire's instance still runs; CatchupWindow decides
// which fires missed during downtime still run (each once) and which are
// recorded as skipped-catchup; Jitter delays each fire by a fixed amount
// derived from the schedule and the time. See Spec for the fields and
// their bounds, and (*Spec).Next for the daylight-saving rules.
package schedule
