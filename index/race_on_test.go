//go:build race

package index_test

// raceEnabled is true when the race detector runs, which slows the pure-Go
// SQLite driver so much that the property test runs fewer cases.
const raceEnabled = true
