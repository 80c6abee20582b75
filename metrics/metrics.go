// Package metrics exposes Roster's workings in the Prometheus exposition
// format: HTTP requests by route and status, query latency, the index,
// the outbox and its deliveries, the database pools and the Go runtime.
// The other packages never import Prometheus: they report through small
// hooks (web.Observer, deliver.Config.OnResult) that Metrics implements,
// and cmd/roster wires them.
package metrics

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"roster/query"
)

// Metrics is the registry of Roster's series.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	queries    *prometheus.HistogramVec
	deliveries *prometheus.CounterVec
	logger     *slog.Logger
}

// New returns a registry with the HTTP, query and delivery series and the
// Go runtime's and the process's own.
func New(logger *slog.Logger) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roster_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "roster_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route", "method"}),
		queries: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "roster_query_duration_seconds",
			Help:    "Time to run a filter over the users: a page of results (search) or every match (match).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"op"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roster_mail_deliveries_total",
			Help: "Delivery attempts of the outbox's messages, by result: sent, retry (a temporary failure), refused (a permanent answer), failed (gave up).",
		}, []string{"result"}),
		logger: logger,
	}
	m.reg.MustRegister(m.requests, m.latency, m.queries, m.deliveries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the series in the exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: slogAdapter{m.logger}, Registry: m.reg})
}

// ObserveRequest counts a request answered on route (its pattern without
// the method, "" when no route matched) with status in d.
func (m *Metrics) ObserveRequest(method, route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
}

// ObserveDelivery counts a delivery attempt's result.
func (m *Metrics) ObserveDelivery(result string) {
	m.deliveries.WithLabelValues(result).Inc()
}

// AddDB reports the connection pool of a database as pool.
func (m *Metrics) AddDB(pool string, db *sql.DB) {
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, pool))
}

// AddGauge reports fn's value, read at each scrape, as name.
func (m *Metrics) AddGauge(name, help string, fn func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
}

// AddGaugesBy reports the counts fn returns at each scrape as name, one
// series per key under label. A failing fn reports nothing that scrape
// (and logs why) rather than stale values.
func (m *Metrics) AddGaugesBy(name, help, label string, fn func(ctx context.Context) (map[string]int, error)) {
	m.reg.MustRegister(&countsCollector{desc: prometheus.NewDesc(name, help, []string{label}, nil), fn: fn, logger: m.logger})
}

// countsCollector reads counts by a label at scrape time.
type countsCollector struct {
	desc   *prometheus.Desc
	fn     func(ctx context.Context) (map[string]int, error)
	logger *slog.Logger
}

func (c *countsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *countsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.fn(ctx)
	if err != nil {
		c.logger.Warn("metrics: collect", "metric", c.desc.String(), "err", err)
		return
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), k)
	}
}

// Searcher returns s timed into roster_query_duration_seconds.
func (m *Metrics) Searcher(s query.Searcher) query.Searcher {
	return timedSearcher{s, m.queries.WithLabelValues("search"), m.queries.WithLabelValues("match")}
}

type timedSearcher struct {
	query.Searcher
	search, match prometheus.Observer
}

func (t timedSearcher) Search(ctx context.Context, p *query.Plan, page query.Page) (*query.Result, error) {
	start := time.Now()
	defer func() { t.search.Observe(time.Since(start).Seconds()) }()
	return t.Searcher.Search(ctx, p, page)
}

func (t timedSearcher) Match(ctx context.Context, p *query.Plan) ([]int64, error) {
	start := time.Now()
	defer func() { t.match.Observe(time.Since(start).Seconds()) }()
	return t.Searcher.Match(ctx, p)
}

// slogAdapter lets promhttp log its errors through slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Println(v ...any) { a.l.Error("metrics", "err", v) }
