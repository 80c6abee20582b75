package jobs

import (
	"context"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestImportPoints checks that an import sets the points balance through
// one ledger entry per user whose points it changes (reason "import"),
// also when a dry run undoes it, so that the balance stays the sum of the
// ledger.
func TestImportPoints(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		x := newImporter(t, db)
		ls := sqldb.NewLedgerService(db)
		ledger := func(email string) []*roster.LedgerEntry {
			t.Helper()
			u := x.user(email)
			es, err := ls.FindLedger(context.Background(), u.PublicID, "points", 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var sum int64
			for _, e := range es {
				sum += e.Amount
			}
			if sum != u.Points {
				t.Errorf("%s: ledger sums to %d, balance %d", email, sum, u.Points)
			}
			return es
		}
		upsert := roster.ImportOptions{Mode: roster.ImportUpsert, Key: "email"}
		dry := x.run("email,points\nada@example.com,40\n", roster.ImportOptions{Mode: roster.ImportUpsert, Key: "email", DryRun: true})
		wantCounts(t, dry, roster.ImportCounts{Read: 1, Created: 1})
		wantCounts(t, x.run("email,points\nada@example.com,40\nbob@example.com,0\n", upsert), roster.ImportCounts{Read: 2, Created: 2})
		es := ledger("ada@example.com")
		if len(es) != 1 || es[0].Amount != 40 || es[0].Reason != "import" || es[0].Source != roster.LedgerImport {
			t.Fatalf("created: %+v", es)
		}
		if es := ledger("bob@example.com"); len(es) != 0 {
			t.Errorf("zero points wrote entries: %+v", es)
		}
		wantCounts(t, x.run("email,points\nada@example.com,25\nbob@example.com,7\n", upsert), roster.ImportCounts{Read: 2, Updated: 2})
		es = ledger("ada@example.com")
		if len(es) != 2 || es[0].Amount != -15 || es[0].Balance != 25 || es[0].Reason != "import" {
			t.Errorf("updated: %+v", es[0])
		}
		if es := ledger("bob@example.com"); len(es) != 1 || es[0].Amount != 7 {
			t.Errorf("bob: %+v", es)
		}
		// A row that leaves the points as they are writes no entry.
		wantCounts(t, x.run("email,points,city\nada@example.com,25,Oslo\n", upsert), roster.ImportCounts{Read: 1, Updated: 1})
		if es := ledger("ada@example.com"); len(es) != 2 {
			t.Errorf("unchanged points wrote an entry: %d entries", len(es))
		}
	})
}
