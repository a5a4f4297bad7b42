package main

import "github.com/ordohq/ordo"

// testStepInterceptor wraps every step attempt of the engine `ordo serve`
// starts. It is nil except in this package's tests, which set it in the
// test binary they start as `ordo serve` (TestMain) to stop a process at
// a fixed step and kill it there.
var testStepInterceptor ordo.StepInterceptor
