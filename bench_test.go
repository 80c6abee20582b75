package roster_test

import (
	"testing"
	"time"

	"roster"
	"roster/demo"
)

// BenchmarkUserGet reads every field of demo users through User.Get, as
// the index does for each user it loads, and reports the time per user.
func BenchmarkUserGet(b *testing.B) {
	g := demo.New(1, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	users := make([]*roster.User, 100)
	for i := range users {
		users[i] = g.User(i + 1)
	}
	fields := roster.BuiltinFields()
	b.ReportAllocs()
	for b.Loop() {
		for _, u := range users {
			for _, f := range fields {
				_ = u.Get(f.Key)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(users)), "ns/user")
}

// BenchmarkUserGetter reads the same fields through getters looked up
// once, as the index does.
func BenchmarkUserGetter(b *testing.B) {
	g := demo.New(1, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	users := make([]*roster.User, 100)
	for i := range users {
		users[i] = g.User(i + 1)
	}
	var getters []func(*roster.User) any
	for _, f := range roster.BuiltinFields() {
		getters = append(getters, roster.Getter(f.Key))
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, u := range users {
			for _, get := range getters {
				_ = get(u)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(users)), "ns/user")
}
