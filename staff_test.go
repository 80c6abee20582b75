package roster

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// declaredPermissions returns, in order, the value of every constant of
// type Permission that staff.go declares.
func declaredPermissions(t *testing.T) []Permission {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "staff.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []Permission
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Permission" {
				continue
			}
			for i := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("permission %s is not a string literal", vs.Names[i].Name)
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, Permission(v))
			}
		}
	}
	return out
}

// TestPermissions checks that Permissions lists exactly the permissions
// staff.go declares, in order: a new permission without an entry fails.
func TestPermissions(t *testing.T) {
	declared := declaredPermissions(t)
	if len(declared) == 0 {
		t.Fatal("found no constant of type Permission in staff.go")
	}
	if !slices.Equal(Permissions, declared) {
		t.Errorf("Permissions = %q,\nstaff.go declares %q", Permissions, declared)
	}
}

// TestRolesTable checks the README's roles table against Role.Can: one row
// per permission, in the order of Permissions, one column per role (✓ where
// the role has the permission), and a description.
func TestRolesTable(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	start := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "| permission |") })
	if start < 0 {
		t.Fatal("README.md has no roles table (a header row starting with | permission |)")
	}
	cells := func(l string) []string {
		c := strings.Split(strings.Trim(strings.TrimSpace(l), "|"), "|")
		for i := range c {
			c[i] = strings.TrimSpace(c[i])
		}
		return c
	}
	header := cells(lines[start])
	want := []string{"permission"}
	for _, r := range Roles {
		want = append(want, string(r))
	}
	want = append(want, "what it allows")
	if !slices.Equal(header, want) {
		t.Fatalf("roles table header %q, want %q", header, want)
	}
	var rows [][]string
	for _, l := range lines[start+2:] {
		if !strings.HasPrefix(l, "|") {
			break
		}
		rows = append(rows, cells(l))
	}
	var listed []Permission
	for _, row := range rows {
		if len(row) != len(header) {
			t.Errorf("roles table row %q has %d cells, want %d", row, len(row), len(header))
			continue
		}
		p := Permission(strings.Trim(row[0], "`"))
		listed = append(listed, p)
		if !slices.Contains(Permissions, p) {
			t.Errorf("roles table lists %q, which is not a permission", p)
			continue
		}
		for i, r := range Roles {
			switch got := row[i+1]; {
			case got != "✓" && got != "":
				t.Errorf("roles table, %s for %s: %q, want ✓ or nothing", p, r, got)
			case (got == "✓") != r.Can(p):
				t.Errorf("roles table says %s has %s: %v; Role.Can says %v", r, p, got == "✓", r.Can(p))
			}
		}
		if row[len(row)-1] == "" {
			t.Errorf("roles table: %s has no description", p)
		}
	}
	for _, p := range Permissions {
		if !slices.Contains(listed, p) {
			t.Errorf("roles table has no row for %s", p)
		}
	}
	if !slices.Equal(listed, Permissions) && len(listed) == len(Permissions) {
		t.Errorf("roles table rows %q are not in the order of Permissions %q", listed, Permissions)
	}
}
