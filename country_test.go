package roster

import "testing"

func TestCountries(t *testing.T) {
	cs := Countries()
	if len(cs) != 249 || len(countryNames) != 249 {
		t.Fatalf("got %d countries (%d names), want 249", len(cs), len(countryNames))
	}
	seen := map[string]bool{}
	for i, c := range cs {
		if len(c.Code) != 2 || c.Code[0] < 'A' || c.Code[0] > 'Z' || c.Code[1] < 'A' || c.Code[1] > 'Z' {
			t.Errorf("code %q is not two upper-case letters", c.Code)
		}
		if seen[c.Code] {
			t.Errorf("code %s listed twice", c.Code)
		}
		seen[c.Code] = true
		if c.Name == "" {
			t.Errorf("code %s has no name", c.Code)
		}
		if i > 0 && countrySortKey(cs[i-1].Name) > countrySortKey(c.Name) {
			t.Errorf("%q sorts before %q", cs[i-1].Name, c.Name)
		}
	}
	if cs[0].Code != "AF" || cs[1].Code != "AX" {
		t.Errorf("first countries are %v, %v; want Afghanistan, Åland Islands", cs[0], cs[1])
	}
	cs[0].Name = "changed"
	if Countries()[0].Name == "changed" {
		t.Error("Countries returns a shared slice")
	}
}

func TestCountryName(t *testing.T) {
	for _, c := range []struct {
		code, name string
		ok         bool
	}{
		{"FR", "France", true},
		{"BE", "Belgium", true},
		{"GB", "United Kingdom", true},
		{"US", "United States", true},
		{"fr", "", false},
		{"ZZ", "", false},
		{"XK", "", false},
		{"UK", "", false},
		{"", "", false},
		{"FRA", "", false},
	} {
		name, ok := CountryName(c.code)
		if name != c.name || ok != c.ok {
			t.Errorf("CountryName(%q) = %q, %v; want %q, %v", c.code, name, ok, c.name, c.ok)
		}
	}
}
