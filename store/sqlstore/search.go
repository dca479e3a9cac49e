package sqlstore

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/unicode/norm"
	"modernc.org/sqlite"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// Account search.
//
// Each account row carries search_text, written with the row by
// CreateAccount and UpdateAccount: its name, email, phone and official
// username, each folded by foldSearch and separated by newlines (the name is
// the first line). A query is folded the same way (it never holds a newline).
//
// A query of one word is a substring of search_text: one LIKE '%…%' serves
// the four fields, finds a fragment inside a word ("guyen" finds Nguyễn), and
// never matches across two fields. On PostgreSQL a trigram GIN index
// (pg_trgm, migration 0011) answers it.
//
// A query of several words ("nguyen thi ha") is a phrase of the name: its
// words in that order, next to each other, each a complete word of the name
// but the last, which may begin one ("nguyen van a" finds "Nguyễn Văn An",
// "van an" finds it too, "an van" and "uyen van" do not); words are what
// spaces separate. It also finds an account whose email, phone or username
// holds the query as a substring. On PostgreSQL the phrase is
// (' ' || search_text) LIKE '% nguyen thi ha%' behind a tsquery over the
// pairs of neighbouring words of the name ('nguyen thi' & 'thi ha':*; the
// column name_pairs and its index accounts_name_pairs, migration 0014) that
// every such name satisfies: the rarest pair bounds the rows read, where the
// trigrams of "nguyen" and "thi" are each in a third to a half of all rows
// (their scan alone took 80–135 ms over a million accounts), and the
// statistics of the pairs let the planner read a frequent phrase in creation
// order instead. The other fields have a trigram index of their own
// (accounts_search_rest_trgm). SQLite reads the rows with the same LIKEs.
//
// On both, a query of digits also looks up personal IDs by prefix (a
// text_pattern_ops index on PostgreSQL), and a query that writes a
// Vietnamese phone number looks the number up exactly (the unique index on
// phone). The list is ordered by (created_at, id), an index of its own, so
// that a page after a cursor is an index range.
//
// The statement is planned for its own parameters on PostgreSQL (pgx's
// QueryExecModeExec, an unnamed statement): a cached generic plan cannot tell
// "nguyen", found in a third of the rows, from "khiêm", found in a few, and
// would choose one plan for both.

func init() {
	// The SQLite migration 0011 fills search_text of existing rows with the
	// Go function that CreateAccount and UpdateAccount use.
	sqlite.MustRegisterDeterministicScalarFunction("dinhdanh_search_text", 4, sqliteSearchText)
}

func sqliteSearchText(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	s := make([]string, 4)
	for i, v := range args {
		switch v := v.(type) {
		case nil:
		case string:
			s[i] = v
		case []byte:
			s[i] = string(v)
		default:
			s[i] = fmt.Sprint(v)
		}
	}
	return joinSearch(s[0], s[1], s[2], s[3]), nil
}

// foldSearch is the form in which names, emails and usernames are stored in
// search_text and queries compared with them: lower case, decomposed (NFD)
// with the combining diacritical marks U+0300–U+036F removed, đ as d, runs of
// white space as one space, without leading or trailing space.
// "  Nguyễn  Văn Á " becomes "nguyen van a". The migration computes the same
// on PostgreSQL in SQL for the rows that existed before it.
func foldSearch(s string) string {
	s = norm.NFD.String(strings.ToLower(s))
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r >= 0x300 && r <= 0x36f:
			continue
		case r == 'đ':
			r = 'd'
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func joinSearch(name, email, phone, username string) string {
	return foldSearch(name) + "\n" + foldSearch(email) + "\n" + phone + "\n" + foldSearch(username)
}

// searchText is the search_text of a.
func searchText(a *identity.Account) string {
	var user string
	if a.Official != nil {
		user = a.Official.Username
	}
	return joinSearch(a.FullName, a.Email, a.Phone, user)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// maxPair is the length, in characters, to which the column name_pairs cuts
// a pair of words (at most 2,000 bytes: a PostgreSQL lexeme holds less than
// 2,048). A query with a longer pair reads the rows.
const maxPair = 500

// searchPhrase returns the alternatives of the WHERE clause that find q, a
// folded query of several words, as a phrase of the name or a substring of
// the other fields: see the comment at the top of this file. arg adds a
// parameter and returns its placeholder.
func (db *DB) searchPhrase(q string, arg func(any) string) []string {
	like := func(pattern string) string { return ` LIKE ` + arg(pattern) + ` ESCAPE '\'` }
	if _, ok := db.d.(postgresDialect); !ok {
		// SQLite reads the rows: the name is the text before the first
		// newline, the other fields the text after it.
		return []string{
			`(' ' || substr(search_text, 1, instr(search_text, char(10)) - 1))` + like("% "+escapeLike(q)+"%"),
			`substr(search_text, instr(search_text, char(10)) + 1)` + like("%"+escapeLike(q)+"%"),
		}
	}
	alts := []string{`substr(search_text, strpos(search_text, E'\n') + 1)` + like("%"+escapeLike(q)+"%")}
	phrase := `coalesce((' ' || search_text)` + like("% "+escapeLike(q)+"%") + `, false)`
	// The tsquery holds the pairs of neighbouring words of q, the last by
	// prefix: every name that has the phrase has them, so it only narrows
	// the rows read, through the index accounts_name_pairs; the LIKE on
	// ' ' || search_text (whose first line is the name) decides, and comes
	// first so that a row it refuses costs no tsvector. The pairs are quoted
	// for the tsquery input syntax: in '…', a quote is doubled and a
	// backslash escaped. coalesce keeps the LIKE's estimate out of the plan
	// (see migration 0014).
	words := strings.Split(q, " ")
	terms := make([]string, len(words)-1)
	quote := strings.NewReplacer(`'`, `''`, `\`, `\\`)
	for i := range terms {
		pair := words[i] + " " + words[i+1]
		if utf8.RuneCountInString(pair) > maxPair {
			// Too long for a tsquery: the LIKE alone, reading the rows.
			return append(alts, phrase)
		}
		terms[i] = "'" + quote.Replace(pair) + "'"
	}
	tsq := strings.Join(terms, " & ") + ":*"
	return append(alts, `(`+phrase+` AND name_pairs @@ `+arg(tsq)+`::tsquery)`)
}

// ListAccounts implements store.Accounts.
func (db *DB) ListAccounts(ctx context.Context, f store.AccountFilter) ([]*identity.Account, error) {
	q, args, err := db.accountQuery(f)
	if q == "" || err != nil {
		return nil, err
	}
	if _, ok := db.d.(postgresDialect); ok {
		args = append([]any{pgx.QueryExecModeExec}, args...)
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*identity.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// accountQuery returns the statement of ListAccounts(f) and its arguments,
// or "" when f keeps no account.
func (db *DB) accountQuery(f store.AccountFilter) (string, []any, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + itoa(len(args))
	}
	switch f.Capacity {
	case identity.CapacityCitizen:
		where = append(where, `personal_id IS NOT NULL`)
	case identity.CapacityOfficial:
		where = append(where, `is_official=1`)
	}
	if f.Agency != "" {
		where = append(where, `is_official=1 AND official_agency=`+arg(f.Agency))
	}
	if f.Agencies != nil {
		var in []string
		for _, a := range f.Agencies {
			if a != "" { // an official without an agency is no agency's
				in = append(in, arg(a))
			}
		}
		if len(in) == 0 {
			return "", nil, nil
		}
		where = append(where, `is_official=1 AND official_agency IN (`+strings.Join(in, ", ")+`)`)
	}
	if q := foldSearch(f.Query); q != "" {
		var alts []string
		if !strings.Contains(q, " ") {
			alts = append(alts, `search_text LIKE `+arg("%"+escapeLike(q)+"%")+` ESCAPE '\'`)
		} else {
			alts = append(alts, db.searchPhrase(q, arg)...)
		}
		raw := strings.TrimSpace(f.Query)
		if isDigits(raw) {
			alts = append(alts, `personal_id LIKE `+arg(raw+"%"))
		}
		if phone, err := identity.NormalizePhone(raw); err == nil {
			alts = append(alts, `phone=`+arg(phone))
		}
		where = append(where, `(`+strings.Join(alts, ` OR `)+`)`)
	}
	if f.After != "" {
		created, id, err := store.ParseAccountCursor(f.After)
		if err != nil {
			return "", nil, err
		}
		where = append(where, `(created_at, id) > (`+arg(created)+`, `+arg(id)+`)`)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT ` + accountColumns + ` FROM accounts`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY created_at, id LIMIT ` + arg(limit) + ` OFFSET ` + arg(max(f.Offset, 0))
	return q, args, nil
}
