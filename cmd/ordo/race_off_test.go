//go:build !race

package main

// raceEnabled reports whether the tests run with the race detector, which
// makes the child processes they start several times larger and slower.
const raceEnabled = false
