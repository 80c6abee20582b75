package sqldb

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestStringsScan checks the hand-written reader of set columns against
// encoding/json, including the forms it hands over to it.
func TestStringsScan(t *testing.T) {
	for _, in := range []string{`[]`, `["a"]`, `["a","b"]`, `["a", "b"]`, `["é","山田"]`, `["a\"b"]`, `["a\\b"]`, `["\u00e9"]`, `[ "a"]`, `["a",]`, `[1]`, `null`, `["",""]`} {
		var got []string
		errGot := stringsScan{&got}.Scan(in)
		var want []string
		errWant := json.Unmarshal([]byte(in), &want)
		if (errGot != nil) != (errWant != nil) || !slices.Equal(got, want) {
			t.Errorf("%s: got %q, %v; encoding/json gives %q, %v", in, got, errGot, want, errWant)
		}
	}
}
