package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// rowsForm is the Contact section's form saving only the addresses, as
// rows.
func rowsForm(key string, rows ...map[string]string) url.Values {
	form := url.Values{"field": {key}}
	for i, row := range rows {
		for k, v := range row {
			form.Set(fmt.Sprintf("v.%s.%d.%s", key, i, k), v)
		}
	}
	return form
}

// TestProfile_RowsEditors: postal addresses and social links are edited
// as rows on the profile (no JSON box): add, edit and remove a row; a bad
// member is refused naming the row and the member, nothing saved; "Add a
// row" shows one more blank row without saving; the stored and API
// shapes are unchanged.
func TestProfile_RowsEditors(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		w := newWorld(t, db)
		u, _ := w.user(t, "rows")
		profile := "/users/" + u
		page := w.b.get(profile).Body
		for _, want := range []string{`name="v.addresses.0.line1"`, `name="v.addresses.0.postal_code"`, `name="v.social_links.0.network"`, `name="add_row" value="addresses"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the profile lacks %s", want)
			}
		}
		if strings.Contains(page, `<textarea id="v-addresses"`) || strings.Contains(page, `<textarea id="v-social_links"`) {
			t.Error("the profile still has a JSON box for addresses or links")
		}

		home := map[string]string{"label": "Home", "line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "gb"}
		w.page(t, profile, rowsForm("addresses", home, map[string]string{"line1": ""}), http.StatusSeeOther)
		api := w.api(t, "GET", "/api/v1/users/"+u, "", http.StatusOK)
		if !strings.Contains(api, `"addresses":[{"label":"Home","line1":"12 St James's Square","city":"London","postal_code":"SW1Y 4JH","country":"GB"}]`) {
			t.Errorf("the API after saving a row: %s", api)
		}

		// A second row with a bad country, then a bad postal code: refused,
		// naming the row and the member; nothing saved.
		for _, bad := range []struct {
			row  map[string]string
			want string
		}{
			{map[string]string{"line1": "1 rue de Rivoli", "country": "ZZ"}, `Address 2: Country "ZZ" is not an ISO 3166-1 alpha-2 country code`},
			{map[string]string{"line1": "1 rue de Rivoli", "postal_code": "75001!!", "country": "FR"}, `Address 2: Postal code "75001!!" is not a postal code`},
			{map[string]string{"city": "Paris"}, "Address 2: Line 1 is required"},
		} {
			resp := w.page(t, profile, rowsForm("addresses", home, bad.row), http.StatusUnprocessableEntity)
			body := html.UnescapeString(resp.Body)
			if !strings.Contains(body, bad.want) {
				t.Errorf("a bad row: the page does not say %q", bad.want)
			}
			if !strings.Contains(resp.Body, `id="v-addresses-1-`) || !strings.Contains(resp.Body, `aria-invalid="true"`) {
				t.Error("the refused row is not shown marked")
			}
			for _, v := range bad.row {
				if !strings.Contains(body, `value="`+v+`"`) {
					t.Errorf("the refused form lost %q", v)
				}
			}
		}
		if api := w.api(t, "GET", "/api/v1/users/"+u, "", http.StatusOK); strings.Contains(api, "Rivoli") {
			t.Errorf("a refused row was saved: %s", api)
		}

		// "Add a row" saves nothing and shows one more blank row.
		form := rowsForm("addresses", home)
		form.Set("add_row", "addresses")
		resp := w.page(t, profile, form, http.StatusOK)
		if !strings.Contains(resp.Body, `name="v.addresses.2.line1"`) {
			t.Error("Add a row shows no second blank row")
		}

		// Edit the first row, add a second, and a link; then remove the
		// first address.
		work := map[string]string{"label": "Work", "line1": "1 rue de Rivoli", "postal_code": "75001", "country": "FR"}
		edited := map[string]string{"label": "Home", "line1": "13 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"}
		w.page(t, profile, rowsForm("addresses", edited, work), http.StatusSeeOther)
		w.page(t, profile, rowsForm("social_links", map[string]string{"network": "instagram", "url": "https://www.instagram.com/ada"}), http.StatusSeeOther)
		api = w.api(t, "GET", "/api/v1/users/"+u, "", http.StatusOK)
		for _, want := range []string{`"line1":"13 St James's Square"`, `"label":"Work"`, `"social_links":[{"network":"instagram","url":"https://www.instagram.com/ada"}]`} {
			if !strings.Contains(api, want) {
				t.Errorf("the API lacks %s: %s", want, api)
			}
		}
		resp = w.page(t, profile, rowsForm("social_links", map[string]string{"network": "x", "url": "x.com"}), http.StatusUnprocessableEntity)
		if !strings.Contains(html.UnescapeString(resp.Body), "Link 1: URL is not a valid http(s) URL") {
			t.Error("a bad link is not named by row and member")
		}
		form = rowsForm("addresses", edited, work)
		form.Set("v.addresses.0.remove", "1")
		w.page(t, profile, form, http.StatusSeeOther)
		api = w.api(t, "GET", "/api/v1/users/"+u, "", http.StatusOK)
		if strings.Contains(api, "St James") || !strings.Contains(api, `"addresses":[{"label":"Work","line1":"1 rue de Rivoli","postal_code":"75001","country":"FR"}]`) {
			t.Errorf("after removing a row: %s", api)
		}
		// The API keeps its shape and its rules: a bad postal code is
		// refused there too, by the field.
		st, body := w.ts.do(t, roster.RoleOwner, "PATCH", "/api/v1/users/"+u, `{"addresses":[{"line1":"x","postal_code":"<b>"}]}`)
		if _, _, f := errorReason(t, body); st != http.StatusUnprocessableEntity || f["addresses"] == "" {
			t.Errorf("PATCH a bad postal code: %d %s", st, body)
		}
	})
}

// TestProfile_AddressEditorBrowser: in Chromium, staff add an address
// row, a bad country is refused naming the row, they fix it, save, and
// the reloaded profile shows it.
func TestProfile_AddressEditorBrowser(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		w := newWorld(t, db)
		u, _ := w.user(t, "addr")
		ctx := startChromium(t)
		run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			if err := chromedp.Do(ctx, actions...); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		text := func(css string) string {
			t.Helper()
			v, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf("(document.querySelector(%q) || {innerText: ''}).innerText.trim()", css)))
			if err != nil {
				t.Fatalf("text of %s: %v", css, err)
			}
			return v
		}
		run("sign in",
			chromedp.Navigate(w.ts.URL+"/signin"),
			chromedp.SendKeys(chromedp.CSS("#email"), string(roster.RoleManager)+"@staff.example.com"),
			chromedp.SendKeys(chromedp.CSS("#password"), staffPassword),
			chromedp.Submit(chromedp.CSS("#password")),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/groups"]`)))
		run("profile",
			chromedp.Navigate(w.ts.URL+"/users/"+u),
			chromedp.WaitVisible(chromedp.CSS("#v-addresses")))
		// One row already (the blank one) holds the first address; "Add
		// a row" gives a second.
		run("first row",
			chromedp.SendKeys(chromedp.CSS("#v-addresses-0-line1"), "12 St James's Square"),
			chromedp.SendKeys(chromedp.CSS("#v-addresses-0-city"), "London"),
			chromedp.SendKeys(chromedp.CSS("#v-addresses-0-country"), "GB"),
			chromedp.Click(chromedp.CSS("#v-addresses-add")),
			chromedp.WaitVisible(chromedp.CSS("#v-addresses-1-line1")))
		run("a second row with a bad country",
			chromedp.SendKeys(chromedp.CSS("#v-addresses-1-line1"), "1 rue de Rivoli"),
			chromedp.SendKeys(chromedp.CSS("#v-addresses-1-postal_code"), "75001"),
			chromedp.SendKeys(chromedp.CSS("#v-addresses-1-country"), "ZZ"),
			chromedp.Submit(chromedp.CSS("#v-addresses-1-country")),
			chromedp.WaitVisible(chromedp.CSS("#v-addresses-1-country-err")))
		if got := text("#v-addresses-err"); !strings.Contains(got, `Address 2: Country "ZZ"`) {
			t.Errorf("the refused form says %q, want the row and member named", got)
		}
		if got := text("#v-addresses-1-country-err"); !strings.Contains(got, "ZZ") {
			t.Errorf("the bad member says %q", got)
		}
		run("fix and save",
			chromedp.Clear(chromedp.CSS("#v-addresses-1-country")),
			chromedp.SendKeys(chromedp.CSS("#v-addresses-1-country"), "FR"),
			chromedp.Submit(chromedp.CSS("#v-addresses-1-country")),
			chromedp.WaitNotPresent(chromedp.CSS("#v-addresses-1-country-err")),
			chromedp.WaitVisible(chromedp.CSS("#v-addresses")))
		run("reload",
			chromedp.Navigate(w.ts.URL+"/users/"+u),
			chromedp.WaitVisible(chromedp.CSS("#v-addresses-1-line1")))
		for css, want := range map[string]string{"#v-addresses-0-line1": "12 St James's Square", "#v-addresses-0-country": "GB", "#v-addresses-1-line1": "1 rue de Rivoli", "#v-addresses-1-country": "FR"} {
			v, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf("document.querySelector(%q).value", css)))
			if err != nil || v != want {
				t.Errorf("after reload %s = %q (%v), want %q", css, v, err, want)
			}
		}
	})
}
