package audit

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

// Searcher is what Export reads: store.Audit implements it.
type Searcher interface {
	SearchAudit(ctx context.Context, f store.AuditFilter) ([]*store.AuditEvent, error)
}

// ExportFormat is the format of an export.
type ExportFormat string

// The export formats.
const (
	// ExportJSONLines writes one JSON object (a JSONEvent) per line.
	ExportJSONLines ExportFormat = "jsonl"
	// ExportCSV writes RFC 4180 CSV with a header line (CSVHeader); a cell
	// that a spreadsheet would read as a formula gets a leading "'".
	ExportCSV ExportFormat = "csv"
)

// ParseExportFormat returns the format named s ("jsonl" or "csv").
func ParseExportFormat(s string) (ExportFormat, error) {
	switch f := ExportFormat(s); f {
	case ExportJSONLines, ExportCSV:
		return f, nil
	}
	return "", fmt.Errorf("unknown export format %q: use jsonl or csv", s)
}

// ContentType is the media type of an export in format f.
func (f ExportFormat) ContentType() string {
	if f == ExportCSV {
		return "text/csv; charset=utf-8"
	}
	return "application/jsonl; charset=utf-8"
}

// JSONEvent is an audit event as exported (and as an API returns it).
type JSONEvent struct {
	ID       int64             `json:"id"`
	Time     time.Time         `json:"time"`
	Type     string            `json:"type"`
	Actor    string            `json:"actor"`
	Subject  string            `json:"subject,omitempty"`
	ClientID string            `json:"client_id,omitempty"`
	Address  string            `json:"address,omitempty"`
	Details  map[string]string `json:"details,omitempty"`
	PrevHash string            `json:"prev_hash,omitempty"`
	Hash     string            `json:"hash,omitempty"`
}

// NewJSONEvent returns e as exported, its time in UTC.
func NewJSONEvent(e *store.AuditEvent) JSONEvent {
	return JSONEvent{ID: e.ID, Time: e.Time.UTC(), Type: e.Type, Actor: e.Actor, Subject: e.Subject,
		ClientID: e.ClientID, Address: e.Address, Details: e.Details, PrevHash: e.PrevHash, Hash: e.Hash}
}

// CSVHeader is the first line of a CSV export.
var CSVHeader = []string{"id", "time", "type", "actor", "subject", "client_id", "address", "details", "prev_hash", "hash"}

// CSVRecord returns the cells of e in a CSV export, each made safe with
// CSVCell; details are one JSON object.
func CSVRecord(e *store.AuditEvent) []string {
	details := ""
	if len(e.Details) > 0 {
		b, _ := json.Marshal(e.Details)
		details = string(b)
	}
	rec := []string{strconv.FormatInt(e.ID, 10), e.Time.UTC().Format(time.RFC3339Nano), e.Type, e.Actor, e.Subject,
		e.ClientID, e.Address, details, e.PrevHash, e.Hash}
	for i, c := range rec {
		rec[i] = CSVCell(c)
	}
	return rec
}

// CSVCell returns s safe for a spreadsheet: a value that begins with "=",
// "+", "-", "@", a tab or a carriage return, which a spreadsheet reads as a
// formula (a name written "=HYPERLINK(…)"), gets a leading "'" so that it is
// shown as text.
func CSVCell(s string) string {
	if s != "" {
		switch s[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + s
		}
	}
	return s
}

// Export writes every event matching f to w in format, newest first,
// reading the store a page at a time (f.Limit events per page,
// store.AuditMaxLimit when 0) from f.Before down, so that an export of any
// size holds one page in memory. Events appended during the export are not
// in it. It returns how many events it wrote; an invalid f writes nothing.
func Export(ctx context.Context, s Searcher, f store.AuditFilter, format ExportFormat, w io.Writer) (int64, error) {
	if _, err := ParseExportFormat(string(format)); err != nil {
		return 0, err
	}
	if err := f.Validate(); err != nil {
		return 0, err
	}
	if f.Limit == 0 {
		f.Limit = store.AuditMaxLimit
	}
	var cw *csv.Writer
	var enc *json.Encoder
	if format == ExportCSV {
		cw = csv.NewWriter(w)
		if err := cw.Write(CSVHeader); err != nil {
			return 0, err
		}
	} else {
		enc = json.NewEncoder(w)
		enc.SetEscapeHTML(false)
	}
	var n int64
	for {
		page, err := s.SearchAudit(ctx, f)
		if err != nil {
			return n, err
		}
		for _, e := range page {
			if cw != nil {
				err = cw.Write(CSVRecord(e))
			} else {
				err = enc.Encode(NewJSONEvent(e))
			}
			if err != nil {
				return n, err
			}
			n++
		}
		if cw != nil {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return n, err
			}
		}
		if len(page) < f.Limit {
			return n, nil
		}
		f.Before = page[len(page)-1].ID
	}
}
