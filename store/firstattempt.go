package store

// A step's first attempt is, for most steps, its only one. Backends keep
// it on the step's row instead of a row of its own when the Update that
// records it also writes the step: the attempts table then holds only
// retries and compensations, and a step that succeeds at once costs one
// row, not two. The row's first attempt is set once and never changed
// (a re-sent commit does not add it again), and JournalLoad puts it ahead
// of the step's other attempts in Step.History.

// FirstAttempt returns the attempt of u kept on the row of step key: u's
// first record of that step's attempt 1 (not a compensation), or nil.
// The caller writes the step of that key.
func FirstAttempt(u *Update, key string) *Attempt {
	for i := range u.Attempts {
		a := &u.Attempts[i]
		if a.StepKey == key && a.Attempt.Number == 1 && !a.Attempt.Compensation {
			return &a.Attempt
		}
	}
	return nil
}

// OnStepRow reports whether a, one of u's attempt records, is kept on the
// row of its step (see FirstAttempt), so that no row of its own is
// written for it.
func OnStepRow(u *Update, a *AttemptRecord) bool {
	if a.Attempt.Number != 1 || a.Attempt.Compensation {
		return false
	}
	for _, st := range u.Steps {
		if st != nil && st.Key == a.StepKey {
			return true
		}
	}
	return false
}

// AddAttempt appends a, an attempt read from the attempts table (in
// order), to st's History, unless it is the first attempt st's row holds
// already: each attempt is recorded once, on the step's row or in a row
// of its own (the attempts table holds each number and kind once).
func AddAttempt(st *Step, a Attempt) {
	if a.Number == 1 && !a.Compensation && len(st.History) > 0 &&
		st.History[0].Number == 1 && !st.History[0].Compensation {
		return
	}
	st.History = append(st.History, a)
}
