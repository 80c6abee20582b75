package web

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	s := &Server{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ff::/48")}}
	for _, tt := range []struct {
		name, peer string
		header     http.Header
		want       string
	}{
		{"no proxy", "192.0.2.7:5000", nil, "192.0.2.7"},
		{"an untrusted peer's header is ignored", "192.0.2.7:5000", http.Header{"X-Forwarded-For": {"198.51.100.1"}}, "192.0.2.7"},
		{"a trusted proxy's header", "10.0.0.2:5000", http.Header{"X-Forwarded-For": {"198.51.100.1"}}, "198.51.100.1"},
		{"what the client wrote before is not believed", "10.0.0.2:5000", http.Header{"X-Forwarded-For": {"6.6.6.6, 198.51.100.1"}}, "198.51.100.1"},
		{"a chain of our proxies", "10.0.0.2:5000", http.Header{"X-Forwarded-For": {"198.51.100.1, 10.0.0.9"}}, "198.51.100.1"},
		{"headers on several lines", "10.0.0.2:5000", http.Header{"X-Forwarded-For": {"198.51.100.1", "10.0.0.9"}}, "198.51.100.1"},
		{"Forwarded wins", "10.0.0.2:5000", http.Header{"Forwarded": {`for=198.51.100.3;proto=https`}, "X-Forwarded-For": {"6.6.6.6"}}, "198.51.100.3"},
		{"Forwarded with an IPv6 address and port", "[2001:db8:ff::1]:443", http.Header{"Forwarded": {`for="[2001:db8::17]:4711", for=10.0.0.3`}}, "2001:db8::17"},
		{"a trusted proxy without a header", "10.0.0.2:5000", nil, "10.0.0.2"},
		{"an unknown hop cuts the chain", "10.0.0.2:5000", http.Header{"Forwarded": {"for=6.6.6.6, for=unknown, for=10.0.0.4"}}, "10.0.0.4"},
		{"a mapped IPv4 peer", "[::ffff:10.0.0.2]:5000", http.Header{"X-Forwarded-For": {"198.51.100.1"}}, "198.51.100.1"},
	} {
		r := &http.Request{RemoteAddr: tt.peer, Header: tt.header}
		if r.Header == nil {
			r.Header = http.Header{}
		}
		if got := s.clientAddr(r); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
