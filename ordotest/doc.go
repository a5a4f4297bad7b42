// Package ordotest runs Ordo workflows in unit tests without a database or
// real time: an engine on an in-memory store and a virtual clock that jumps
// to the next due timer whenever nothing runs. Chosen steps can be replaced
// with fixed results or errors.
//
//	env := ordotest.New(t, nil)
//	env.StepResult("payment", Payment{OK: true})
//	out, inst, err := ordotest.Run(env, cartWorkflow, Params{CartID: "c-1"})
package ordotest
