//go:build race

package sqldb_test

// raceEnabled is true when the race detector runs, which slows the pure-Go
// SQLite driver about twentyfold: the exhaustive search test then checks a
// sample (make test also runs it whole, without the race detector).
const raceEnabled = true
