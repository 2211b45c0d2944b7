//go:build race

package vemtest_test

// raceEnabled reports whether the tests run under the race detector, which
// makes timing assertions meaningless.
const raceEnabled = true
