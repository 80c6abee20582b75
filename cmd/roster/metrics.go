package main

import (
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"roster/sqldb"
)

// observe registers the series read at scrape time: the index, the
// outbox's depth and the database pools. The HTTP, query and delivery
// series are fed as things happen (web.Server.Observer, the timed
// searcher, deliver.Config.OnResult).
func (m *Main) observe(outbox *sqldb.OutboxService) {
	mx := m.Metrics
	mx.AddGauge("roster_index_users", "Users in the query index.", func() float64 {
		n, _ := m.Index.Stats()
		return float64(n)
	})
	mx.AddGauge("roster_index_build_seconds", "How long the last build of the query index took.", func() float64 {
		_, d := m.Index.Stats()
		return d.Seconds()
	})
	mx.AddGauge("roster_index_ready", "1 when the query index is built and serving, else 0.", func() float64 {
		if m.Index.Ready() {
			return 1
		}
		return 0
	})
	mx.AddGaugesBy("roster_outbox_messages", "Messages in the outbox, by status.", "status", func(ctx context.Context) (map[string]int, error) {
		counts, err := outbox.CountOutbox(ctx)
		out := map[string]int{}
		for st, n := range counts {
			out[string(st)] = n
		}
		return out, err
	})
	for name, pool := range m.DB.Pools() {
		mx.AddDB(name, pool)
	}
}

// metricsHandler serves /metrics and, under /debug/pprof/, the Go
// profiler: the separate listener of --metrics-addr, which only the
// operator's network should reach.
func (m *Main) metricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Metrics.Handler())
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}

// tokenProtected answers h only to requests carrying the bearer token:
// /metrics on the main listener, with ROSTER_METRICS_TOKEN.
func tokenProtected(token string, h http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="roster metrics"`)
			http.Error(w, "A metrics token is required: Authorization: Bearer <ROSTER_METRICS_TOKEN>.", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// serveMetrics runs the --metrics-addr listener until ctx ends.
func (m *Main) serveMetrics(ctx context.Context, ln net.Listener) {
	srv := &http.Server{Handler: m.metricsHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			m.Logger.Warn("metrics listener: shutdown", "err", err)
		}
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		m.Logger.Error("metrics listener", "err", err)
	}
}
