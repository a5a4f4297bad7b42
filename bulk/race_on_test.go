//go:build race

package bulk_test

// raceEnabled reports whether the tests run with the race detector, which
// makes every action several times slower: the tests act on fewer
// instances then.
const raceEnabled = true
