package enginetest

import (
	"testing"

	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
)

// Test is one test of the suite: it runs on the store s.Open returns.
type Test struct {
	Name string
	Fn   func(t *testing.T, s Suite)
}

// Suite is what a test of the suite gets: the backend's store opener.
type Suite struct {
	// Open returns a fresh, empty, migrated store; it is closed when the
	// test ends.
	Open func(t *testing.T) store.Store
}

// tests are the suite's tests, grouped by what they prove. A feature
// joins the suite by adding its tests here (or passing them to Run as
// extra, while they live elsewhere).
var tests = []Test{
	{"StepsRunAndPersist", testStepsRunAndPersist},
	{"LoopStepsGetOccurrenceKeys", testLoopStepsGetOccurrenceKeys},
	{"RetriesFollowBackoff", testRetriesFollowBackoff},
	{"NonRetryableFailsAtOnceAndRetriesExhaust", testNonRetryableFailsAtOnceAndRetriesExhaust},
	{"TimedOutAttemptIsCancelledAndRetried", testTimedOutAttemptIsCancelledAndRetried},
	{"ParallelSteps", testParallelSteps},
	{"RegisterAndCreateErrors", testRegisterAndCreateErrors},
	{"StepOutputTooLarge", testStepOutputTooLarge},

	{"SleepUntil", testSleepUntil},
	{"FinishedStepNeverRerunsAfterEngineRestart", testFinishedStepNeverRerunsAfterEngineRestart},
	{"ParallelStepsReplayAfterRestart", testParallelStepsReplayAfterRestart},

	{"Events", testEvents},
	{"WaitForEventMatch", testWaitForEventMatch},
	{"WaitForEventMatchTimeout", testWaitForEventMatchTimeout},
	{"WaitForEventMatchPublished", testWaitForEventMatchPublished},
	{"WaitForEventAwait", testWaitForEventAwait},

	{"CompensationsRunInReverseOrder", testCompensationsRunInReverseOrder},
	{"CancelCompensatesInReverse", testCancelCompensatesInReverse},
	{"CancelWaitingAndFinished", testCancelWaitingAndFinished},
	{"CompensationActions", testCompensationActions},
	{"CancelFromAnotherEngine", testCancelFromAnotherEngine},

	{"PauseResumeTerminate", testPauseResumeTerminate},
	{"RestartFromStepKeepsEarlierResults", testRestartFromStepKeepsEarlierResults},
	{"RestartRefusedAfterCompensation", testRestartRefusedAfterCompensation},
	{"GracefulStopReleasesLeases", testGracefulStopReleasesLeases},

	{"ChildAwaited", testChildAwaited},
	{"ChildStart", testChildStart},
	{"ChildParentPolicies", testChildParentPolicies},
	{"ChildTerminatedFailsParent", testChildTerminatedFailsParent},
	{"ChildExactlyOnceAfterCrash", testChildExactlyOnceAfterCrash},

	{"AsyncStepComplete", testAsyncStepComplete},
	{"AsyncStepFailRetry", testAsyncStepFailRetry},
	{"AsyncStepTimeout", testAsyncStepTimeout},
	{"AsyncStepResultDuringStart", testAsyncStepResultDuringStart},

	{"Patched", testPatched},
	{"PatchedOnce", testPatchedOnce},
	{"NonDeterminism", testNonDeterminism},
	{"VersionsSideBySide", testVersionsSideBySide},
	{"VersionCompatible", testVersionCompatible},
	{"UnregisteredWorkflow", testUnregisteredWorkflow},

	{"LimitConcurrency", testLimitConcurrency},
	{"LimitRate", testLimitRate},
	{"LimitUnknown", testLimitUnknown},
	{"LimitAcrossEngines", testLimitAcrossEngines},

	{"ConcurrencyPerKey", testConcurrencyPerKey},
	{"ConcurrencyLimitTwo", testConcurrencyLimitTwo},
	{"ConcurrencySleepFrees", testConcurrencySleepFrees},
	{"ConcurrencyDeadWorker", testConcurrencyDeadWorker},
	{"ConcurrencyErrors", testConcurrencyErrors},

	{"PriorityOrdersTheQueue", testPriorityOrdersTheQueue},

	{"DeadWorkerRecovery", testDeadWorkerRecovery},
	{"CutOffAttemptIsCounted", testCutOffAttemptIsCounted},
	{"CutOffAttemptUnderFullLimit", testCutOffAttemptUnderFullLimit},
	{"ConcurrencyCutOffCharged", testConcurrencyCutOffCharged},
}

// Run runs the suite, and the extra tests after it, each in parallel on
// a store of its own. open must return a fresh, empty, migrated store
// each time it is called; the caller closes it (t.Cleanup), and every
// engine a test starts is stopped before.
func Run(t *testing.T, open func(t *testing.T) store.Store, extra ...Test) {
	s := Suite{Open: open}
	for _, tc := range append(tests[:len(tests):len(tests)], extra...) {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			tc.Fn(t, s)
		})
	}
}

// Env returns a started ordotest environment (virtual clock) on a fresh
// store of the backend; opts may set anything but the store.
func (s Suite) Env(t *testing.T, opts *ordotest.Options) *ordotest.Env {
	t.Helper()
	o := ordotest.Options{}
	if opts != nil {
		o = *opts
	}
	if o.Store == nil {
		o.Store = s.Open(t)
	}
	return ordotest.New(t, &o)
}
