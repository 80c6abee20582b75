package web

import (
	"bytes"
	"net/http"

	"roster/csvio"
)

// The import template: a CSV file with every column an import reads and
// one example row, and a page that explains each column.

type importTemplateView struct {
	Columns []csvio.TemplateColumn
}

// handleImportTemplate is GET /users/import/template: the columns, their
// types, formats and examples, and the Download template button.
func (s *Server) handleImportTemplate(w http.ResponseWriter, r *http.Request) {
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "import_template", "Import template", importTemplateView{Columns: csvio.TemplateHelp(reg)})
}

// handleTemplateCSV is GET /users/template.csv and GET
// /api/v1/users/template.csv: the template file.
func (s *Server) handleTemplateCSV(w http.ResponseWriter, r *http.Request) {
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := csvio.WriteTemplate(&b, reg); err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="roster-import-template.csv"`)
	w.Write(b.Bytes())
}
