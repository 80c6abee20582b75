package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"roster"
	"roster/csvio"
	"roster/query"
)

// Export: the users a filter selects, in the order of a sort, streamed as
// CSV. The table's Export button and the API take the same parameters:
// q and sort as the table and search have them, columns (field keys,
// comma-separated; every exportable column when empty), bom=1 for Excel,
// escape=0 to turn formula escaping off. The page also keeps the table's
// view=members.

// exportRequest is an export as a request asks for it, before validation.
type exportRequest struct {
	q, sort, columns, tz string
	members              bool
	opts                 csvio.WriteOptions
}

// parseExportRequest reads an export's parameters from q; allowed lists
// the parameters accepted, the others are refused so that a typo is not
// silently ignored.
func parseExportRequest(q url.Values, allowed ...string) (exportRequest, error) {
	if err := onlyParams(q, allowed...); err != nil {
		return exportRequest{}, err
	}
	req := exportRequest{q: strings.TrimSpace(q.Get("q")), sort: q.Get("sort"), columns: q.Get("columns"), tz: q.Get("tz"), members: q.Get("view") == "members"}
	if v := q.Get("view"); v != "" && v != "members" {
		return req, roster.Errorf(roster.EINVALID, "view must be members or absent, not %s", roster.Quote(v))
	}
	var err error
	if req.opts.BOM, err = flagParam(q, "bom", false); err != nil {
		return req, err
	}
	escape, err := flagParam(q, "escape", true)
	req.opts.NoEscape = !escape
	return req, err
}

// flagParam reads a boolean parameter: 1/0, true/false, yes/no, on/off.
func flagParam(q url.Values, key string, def bool) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(q.Get(key))) {
	case "":
		return def, nil
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return def, roster.Errorf(roster.EINVALID, "%s must be 1 or 0, not %s", key, roster.Quote(q.Get(key)))
}

// preparedExport is a validated export: what to write, ready to stream.
type preparedExport struct {
	req  exportRequest
	reg  *roster.Registry
	plan *query.Plan
	cols []roster.Field
	ids  []int64
	loc  *time.Location
}

// prepareExport validates req for the staff member of r and lists the
// users it selects, in order. Every problem with the request is an
// EINVALID error that names it.
func (s *Server) prepareExport(r *http.Request, req exportRequest) (*preparedExport, error) {
	f, err := query.Parse(req.q)
	if err != nil {
		return nil, err
	}
	plan, reg, loc, err := s.plan(r, planRequest{filter: f, sort: req.sort, tz: req.tz})
	if err != nil {
		return nil, err
	}
	if req.members {
		plan.Groups = append(plan.Groups, membersGroup(reg))
	}
	var keys []string
	if req.columns != "" {
		for _, k := range strings.Split(req.columns, ",") {
			if k = strings.TrimSpace(k); k == "" {
				return nil, roster.Errorf(roster.EINVALID, "columns: %s lists an empty column name: give field keys separated by commas, or leave columns empty for every column.", roster.Quote(req.columns))
			}
			keys = append(keys, k)
		}
	}
	cols, err := csvio.ParseColumns(reg, keys)
	if err != nil {
		return nil, err
	}
	ids, err := query.OrderedIDs(r.Context(), s.Search, plan)
	if err != nil {
		return nil, err
	}
	return &preparedExport{req: req, reg: reg, plan: plan, cols: cols, ids: ids, loc: loc}, nil
}

// streamExport writes the prepared export as a CSV attachment and audits
// it once the stream ends, with the rows actually written: also when the
// client went away halfway.
func (s *Server) streamExport(w http.ResponseWriter, r *http.Request, ex *preparedExport) {
	name := "users-" + time.Now().In(ex.loc).Format("20060102-150405") + ".csv"
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.WriteHeader(http.StatusOK)
	start := time.Now()
	n, err := csvio.ExportUsers(r.Context(), w, s.Users, ex.ids, csvio.Export{Columns: ex.cols, Catalog: ex.reg.Catalog, Access: ex.reg.Access, Options: ex.req.opts})
	// The request's context is over when the client left; the entry must
	// still be written.
	sum := csvio.ExportSummary{Filter: ex.req.q, Sort: query.FormatSort(ex.plan.Sort), Columns: ex.req.columns,
		Options: ex.req.opts, Written: n, Selected: len(ex.ids)}
	if ex.req.members {
		sum.Filter = strings.TrimSpace(sum.Filter + " (community members)")
	}
	if aerr := s.Audit.Record(context.WithoutCancel(r.Context()), sum.AuditEntry()); aerr != nil {
		s.Logger.Error("export audit", "err", aerr)
	}
	switch {
	case err == nil:
		s.Logger.Info("export", "rows", n, "duration", time.Since(start))
	case clientGone(r, err):
		s.Logger.Warn("export client went away", "rows", n, "of", len(ex.ids), "err", err)
	default:
		// The status is sent: the client sees a truncated file, the log
		// the reason.
		s.Logger.Error("export", "rows", n, "of", len(ex.ids), "err", err)
	}
}

// clientGone reports whether err is the client closing the connection.
func clientGone(r *http.Request, err error) bool {
	return r.Context().Err() != nil || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, http.ErrHandlerTimeout)
}

// exportHandler serves an export that takes the parameters allowed: the
// table's Export button (GET /users/export.csv, with the table's view) and
// GET /api/v1/users/export.csv (with tz).
func (s *Server) exportHandler(allowed ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, err := parseExportRequest(r.URL.Query(), allowed...)
		if err != nil {
			s.error(w, r, err)
			return
		}
		ex, err := s.prepareExport(r, req)
		if err != nil {
			s.error(w, r, err)
			return
		}
		s.streamExport(w, r, ex)
	}
}
