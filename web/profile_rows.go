package web

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"roster"
)

// The profile's editors of structured values (postal addresses, social
// links): a row of inputs per item, a blank row to add one, a "Remove"
// box per row and an "Add a row" button that shows one more blank row
// without saving. They are plain form inputs, v.KEY.N.MEMBER, so saving
// needs no JavaScript; a row's problems name the row and the member. The
// stored and API shapes do not change: the rows become the field's JSON
// list, checked by the members' own rules (roster.Address.Problems,
// roster.SocialLink.Problems).

// rowMember is one member of a row: its JSON key and its label.
type rowMember struct {
	Key, Label, Type string
}

// rowField is how a field of a structured type is edited as rows.
type rowField struct {
	// Noun names one row in messages ("Address 2").
	Noun    string
	Members []rowMember
	// problems checks one row, by member.
	problems func(row map[string]string) map[string]string
	max      int
}

var rowFields = map[roster.FieldType]rowField{
	roster.TypeAddresses: {
		Noun: "Address",
		Members: []rowMember{{"label", "Label", "text"}, {"line1", "Line 1", "text"}, {"line2", "Line 2", "text"},
			{"city", "City", "text"}, {"region", "Region", "text"}, {"postal_code", "Postal code", "text"}, {"country", "Country", "text"}},
		problems: func(row map[string]string) map[string]string { return rowValue[roster.Address](row).Problems() },
		max:      roster.MaxAddresses,
	},
	roster.TypeLinks: {
		Noun:     "Link",
		Members:  []rowMember{{"network", "Network", "text"}, {"url", "URL", "url"}},
		problems: func(row map[string]string) map[string]string { return rowValue[roster.SocialLink](row).Problems() },
		max:      roster.MaxLinks,
	},
}

// rowValue is a row as the item it stands for.
func rowValue[T any](row map[string]string) T {
	var v T
	b, _ := json.Marshal(row) // strings only: cannot fail
	_ = json.Unmarshal(b, &v)
	return v
}

// editsAsRows reports whether f is edited as rows on the profile.
func editsAsRows(f roster.Field) (rowField, bool) {
	rf, ok := rowFields[f.Type]
	return rf, ok
}

// profileRow is one row of a rows editor as the page shows it.
type profileRow struct {
	Index  int
	Values []string // per member, in Members order
	Errors []string // per member
	Blank  bool     // the row to add one
}

// rowsOf returns the rows of input (the field's JSON list) for the page,
// with the problems found (keyed KEY.N.MEMBER) and blank rows to add.
func rowsOf(f roster.Field, rf rowField, input string, problems map[string]string, blank int) []profileRow {
	var items []map[string]any
	_ = json.Unmarshal([]byte(input), &items) // a bad value shows no rows: the error says why
	var out []profileRow
	for i, it := range items {
		row := profileRow{Index: i}
		for _, m := range rf.Members {
			s, _ := it[m.Key].(string)
			row.Values = append(row.Values, s)
			row.Errors = append(row.Errors, problems[f.Key+"."+strconv.Itoa(i)+"."+m.Key])
		}
		out = append(out, row)
	}
	for range max(blank, 1) {
		if len(out) >= rf.max {
			break
		}
		out = append(out, profileRow{Index: len(out), Values: make([]string, len(rf.Members)), Errors: make([]string, len(rf.Members)), Blank: true})
	}
	return out
}

// readRows reads the rows of f from a submitted form: rows marked
// "remove" and blank rows are dropped; members are trimmed, countries
// upper-cased. It returns the field's JSON list (what the page shows and
// roster.Field.ParseText reads) and the problems of each row, keyed
// KEY.N.MEMBER (N counts the rows kept, from 0), with a message for the
// field that names the first row at fault and its member.
func readRows(f roster.Field, rf rowField, form url.Values) (string, map[string]string, string) {
	var rows []map[string]string
	for i := 0; i < 1000; i++ {
		prefix := "v." + f.Key + "." + strconv.Itoa(i) + "."
		row := map[string]string{}
		present := false
		for _, m := range rf.Members {
			vs, ok := form[prefix+m.Key]
			if !ok {
				continue
			}
			present = true
			v := strings.TrimSpace(vs[0])
			if m.Key == "country" {
				v = strings.ToUpper(v)
			}
			if v != "" {
				row[m.Key] = v
			}
		}
		if !present {
			break
		}
		if len(row) == 0 || form.Get(prefix+"remove") != "" {
			continue
		}
		rows = append(rows, row)
	}
	problems := map[string]string{}
	first := ""
	for i, row := range rows {
		p := rf.problems(row)
		for _, m := range rf.Members {
			if msg := p[m.Key]; msg != "" {
				problems[f.Key+"."+strconv.Itoa(i)+"."+m.Key] = msg
				if first == "" {
					first = rf.Noun + " " + strconv.Itoa(i+1) + ": " + m.Label + " " + msg
				}
			}
		}
	}
	if len(rows) > rf.max {
		first = "has more than " + strconv.Itoa(rf.max) + " rows"
	}
	list := make([]map[string]string, len(rows))
	copy(list, rows)
	b, _ := json.Marshal(list)
	return string(b), problems, first
}

// addBlankRow gives the rows editor of field key one more blank row.
func (v *profileView) addBlankRow(key string) {
	for i := range v.Sections {
		for j := range v.Sections[i].Fields {
			pf := &v.Sections[i].Fields[j]
			if pf.Field.Key != key || pf.Kind != "rows" {
				continue
			}
			if rf, ok := editsAsRows(pf.Field); ok && len(pf.Rows) < rf.max {
				pf.Rows = append(pf.Rows, profileRow{Index: len(pf.Rows), Values: make([]string, len(rf.Members)), Errors: make([]string, len(rf.Members)), Blank: true})
			}
		}
	}
}
