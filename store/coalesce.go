package store

// CoalesceUpdates merges the updates of one instance under one lease that
// carry only journal records (steps and attempts: no create, state,
// release, custom status, event consumption or notification) and record
// distinct steps into one, so that a backend writes the instance once
// where it would write it once per update (the parallel steps of one
// instance finishing together). An instance's records keep their order;
// the merged update is fenced by the lease and reports as each of them
// would have (they change nothing on the instance row but its update
// time). It returns the updates to apply and, for each of updates, the
// index of the one that carries it; updates itself is not modified.
func CoalesceUpdates(updates []*Update) (merged []*Update, carrier []int) {
	merged = make([]*Update, 0, len(updates))
	carrier = make([]int, len(updates))
	open := map[string]int{} // instance → index in merged of its journal-only update
	for i, u := range updates {
		j, ok := open[u.InstanceID]
		if ok && journalOnly(u) && u.LeaseToken == merged[j].LeaseToken && distinctSteps(merged[j], u) {
			m := *u
			m.Steps = append(append(make([]*Step, 0, len(merged[j].Steps)+len(u.Steps)), merged[j].Steps...), u.Steps...)
			m.Attempts = append(append(make([]AttemptRecord, 0, len(merged[j].Attempts)+len(u.Attempts)), merged[j].Attempts...), u.Attempts...)
			merged[j] = &m
		} else {
			merged = append(merged, u)
			j = len(merged) - 1
		}
		carrier[i] = j
		if journalOnly(u) {
			open[u.InstanceID] = j
		} else {
			delete(open, u.InstanceID)
		}
	}
	return merged, carrier
}

// journalOnly reports whether u carries only steps and attempts.
func journalOnly(u *Update) bool {
	return u.Create == nil && u.State == nil && !u.Release && u.CustomStatus == nil &&
		len(u.ConsumeEvents) == 0 && len(u.Notify) == 0
}

// distinctSteps reports whether a and b record no step of the same key.
func distinctSteps(a, b *Update) bool {
	for _, x := range a.Steps {
		for _, y := range b.Steps {
			if x.Key == y.Key {
				return false
			}
		}
	}
	return true
}

// CreateOnly reports whether u creates an instance and carries nothing
// else. If its create succeeds and claims, the new row holds u's lease
// token by construction: a backend need not fence or write it again.
func CreateOnly(u *Update) bool {
	return u.Create != nil && len(u.Steps) == 0 && len(u.Attempts) == 0 && len(u.ConsumeEvents) == 0 &&
		u.CustomStatus == nil && u.State == nil && !u.Release && len(u.Notify) == 0
}
