package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"time"
)

// DefaultStatementTimeout is the statement timeout of OpenPostgres when
// PostgresOptions do not set one.
const DefaultStatementTimeout = 5 * time.Second

// statementMargin is how much longer than the statement timeout a call
// waits on the client side: the server cancels a slow statement itself at
// the timeout; a server that does not answer at all (paused, cut off) is
// given up at the timeout plus this margin.
const statementMargin = 500 * time.Millisecond

// pool is a connection pool whose calls are bounded: each query, statement
// and transaction gets a deadline of timeout+statementMargin (unless its
// context ends sooner), which covers the wait for a free connection, the
// connection's opening and the statement itself. A zero timeout bounds
// nothing (SQLite, whose statements wait on a local lock with its own
// busy timeout). Conn is not bounded: a caller that takes a connection of
// its own (an advisory lock, a bulk load) sets its own limits.
type pool struct {
	*sql.DB
	timeout time.Duration
}

// bound returns ctx with the pool's deadline, unless ctx ends sooner. The
// rows, row or transaction made under it outlive the call: the derived
// context is released when its deadline passes or ctx ends.
func (p *pool) bound(ctx context.Context) context.Context {
	if p.timeout <= 0 {
		return ctx
	}
	limit := p.timeout + statementMargin
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= limit {
		return ctx
	}
	c, cancel := context.WithTimeout(ctx, limit)
	context.AfterFunc(c, cancel)
	return c
}

// ExecContext is sql.DB's, bounded.
func (p *pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if p.timeout <= 0 {
		return p.DB.ExecContext(ctx, query, args...)
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout+statementMargin)
	defer cancel()
	return p.DB.ExecContext(ctx, query, args...)
}

// QueryContext is sql.DB's, bounded (reading the rows included).
func (p *pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return p.DB.QueryContext(p.bound(ctx), query, args...)
}

// QueryRowContext is sql.DB's, bounded.
func (p *pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return p.DB.QueryRowContext(p.bound(ctx), query, args...)
}

// BeginTx is sql.DB's, bounded: the whole transaction must end within the
// deadline.
func (p *pool) BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error) {
	return p.DB.BeginTx(p.bound(ctx), opts)
}

// PingContext is sql.DB's, bounded.
func (p *pool) PingContext(ctx context.Context) error {
	if p.timeout <= 0 {
		return p.DB.PingContext(ctx)
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout+statementMargin)
	defer cancel()
	return p.DB.PingContext(ctx)
}

// statementTimeoutParam is the value of PostgreSQL's statement_timeout
// run-time parameter (milliseconds) for timeout.
func statementTimeoutParam(timeout time.Duration) string {
	return strconv.FormatInt(timeout.Milliseconds(), 10)
}
