// Package retention deletes finished instances once they are older than a
// retention period, measured from the time they finished.
//
// A Service runs a pass at Start and then every Interval (a minute at
// most, sooner for a short period): for each period in force it asks the
// engine to purge (ordo.Engine.Purge) the instances of the workflows it
// covers that finished before now minus the period, in small batches of
// one short transaction each. Config.Period is the default; a workflow
// keeps its own period (ordo.Workflow.WithRetention, Engine.SetRetention,
// an order flow's "retention" field), and a period of 0 keeps instances
// forever. On PostgreSQL only one process deletes at a time: a pass that
// finds the purge lock held by another skips its turn.
//
// What a deletion removes and keeps is described at store.PurgeStore;
// delete hooks (ordo.Engine.OnDelete) remove what lives outside the store,
// such as an order's production files.
package retention
