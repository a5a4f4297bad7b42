package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ordohq/ordo/store"
)

// cmpEmpty treats nil and empty slices and maps as equal.
var cmpEmpty = cmpopts.EquateEmpty()

// Run runs the conformance suite. open must return a fresh, empty,
// migrated store each time it is called (each test opens its own, and
// tests run in parallel); Run closes it when the test ends, before the
// cleanups open registered with t.Cleanup run.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	s := suite{open: open}
	tests := []struct {
		name string
		fn   func(t *testing.T, s suite)
	}{
		{"InstanceCreate", testInstanceCreate},
		{"InstanceCreateDuplicate", testInstanceCreateDuplicate},
		{"InstanceCreateClaimed", testInstanceCreateClaimed},
		{"NotFound", testNotFound},
		{"InstanceListOrder", testInstanceListOrder},
		{"InstanceListFilters", testInstanceListFilters},
		{"InstanceListPagination", testInstanceListPagination},
		{"InstanceListDefaultLimit", testInstanceListDefaultLimit},
		{"InstanceListPageBytes", testInstanceListPageBytes},
		{"InstanceSearch", testInstanceSearch},
		{"InstanceSearchDuplicate", testInstanceSearchDuplicate},
		{"InstanceSearchPagination", testInstanceSearchPagination},
		{"InstanceSearchInvalid", testInstanceSearchInvalid},
		{"InstanceAttributes", testInstanceAttributes},
		{"ListBadCursor", testListBadCursor},
		{"PayloadRoundTrip", testPayloadRoundTrip},
		{"TimePrecision", testTimePrecision},
		{"NoAliasing", testNoAliasing},
		{"ClaimRunnable", testClaimRunnable},
		{"InstanceStats", testInstanceStats},
		{"ClaimFields", testClaimFields},
		{"ClaimExpiredLease", testClaimExpiredLease},
		{"ClaimReleasedRunning", testClaimReleasedRunning},
		{"ClaimWorkflows", testClaimWorkflows},
		{"ClaimVersions", testClaimVersions},
		{"UnfinishedWorkflows", testUnfinishedWorkflows},
		{"ClaimLimit", testClaimLimit},
		{"ClaimPriority", testClaimPriority},
		{"PriorityBounds", testPriorityBounds},
		{"ClaimConcurrent", testClaimConcurrent},
		{"Heartbeat", testHeartbeat},
		{"CommitFencing", testCommitFencing},
		{"CommitSteps", testCommitSteps},
		{"CommitAttempts", testCommitAttempts},
		{"CommitParallelSteps", testCommitParallelSteps},
		{"CommitManyStepResults", testCommitManyStepResults},
		{"CommitConsumeEvents", testCommitConsumeEvents},
		{"CommitCustomStatus", testCommitCustomStatus},
		{"CommitState", testCommitState},
		{"CommitStateDropped", testCommitStateDropped},
		{"CommitInvalidState", testCommitInvalidState},
		{"CommitRelease", testCommitRelease},
		{"CommitAwaitEvents", testCommitAwaitEvents},
		{"CommitAwaitMatch", testCommitAwaitMatch},
		{"CommitEmpty", testCommitEmpty},
		{"CommitCreate", testCommitCreate},
		{"CommitCreateInvalid", testCommitCreateInvalid},
		{"TraceContext", testTraceContext},
		{"EventSend", testEventSend},
		{"EventJournal", testEventJournal},
		{"EventStepAwait", testEventStepAwait},
		{"EventStepResult", testEventStepResult},
		{"EventSendFinished", testEventSendFinished},
		{"EventSendLimits", testEventSendLimits},
		{"EventSendLimitConcurrent", testEventSendLimitConcurrent},
		{"EventList", testEventList},
		{"ControlTransitions", testControlTransitions},
		{"PauseRunning", testPauseRunning},
		{"Terminate", testTerminate},
		{"Resume", testResume},
		{"RestartFromBeginning", testRestartFromBeginning},
		{"RestartFromStep", testRestartFromStep},
		{"RestartCompensated", testRestartCompensated},
		{"RestartUnknownStep", testRestartUnknownStep},
		{"RestartKeepsHistory", testRestartKeepsHistory},
		{"RestartAllowCompensated", testRestartAllowCompensated},
		{"NextWakeAt", testNextWakeAt},
		{"CancelRunning", testCancelRunning},
		{"CloseChildren", testCloseChildren},
		{"CancelCleared", testCancelCleared},
		{"CancelAfterCompletion", testCancelAfterCompletion},
		{"CompensationActions", testCompensationActions},
		{"CompensationActionStatus", testCompensationActionStatus},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, s)
		})
	}
}

// suite opens stores for the tests.
type suite struct {
	open func(t *testing.T) store.Store
}

// setup opens a fresh store for t and returns the fixture around it.
func (s suite) setup(t *testing.T) *fixture {
	t.Helper()
	st := s.open(t)
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &fixture{t: t, s: st, ctx: t.Context()}
}
