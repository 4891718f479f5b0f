package repo

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/kinship-go/kinship/internal/engine"
	"github.com/kinship-go/kinship/internal/pipe"
	"github.com/kinship-go/kinship/internal/sqltext"
)

// Insert writes rows and stores the key the database generated for each of them ([Generated],
// [Serial]) into its row. No rows sends nothing.
//
// A table whose key the client assigns ([Key]) gets a multi-row INSERT, one statement per
// 65,535 bind parameters, all the statements in one pgx batch: a single round trip and, outside a
// transaction, a single implicit transaction.
//
// A table whose key the database generates gets one single-row INSERT … RETURNING per row (the
// statement prepared at declaration), the statements of up to 10,000 rows in one pgx batch, one
// round trip. That is what makes the keys exact: statement i returns row i's key, whatever made
// it (a sequence counting down or cycling, gen_random_uuid(), a trigger), and PostgreSQL
// promising no order for the rows a multi-row RETURNING gives back does not matter. The price is
// the work of a statement per row, on the server and in pgx, rather than per 65,535 parameters:
// measured on a local server (BenchmarkInsertGenerated), about 10 µs a row against 2.5 µs for a
// multi-row INSERT of the same rows, four times the time; the round trips stay one per 10,000
// rows. More than 10,000 rows are sent as several batches inside one transaction: db's own if it
// is in one already (a pgx.Tx, a unit-of-work session, a connection inside BEGIN), else one that
// Insert begins and commits (BEGIN and COMMIT, two more round trips). The batches bound the
// memory pgx holds for statements in flight, about 1 KB each.
//
// If Insert fails, nothing is written and no row keeps a key: the generated keys are left zero,
// as they were before Insert (a row to insert has none yet), even those of rows whose statements
// had succeeded before the transaction was rolled back. The one exception: a row for which the
// database inserts nothing and reports no error (a BEFORE trigger that returns NULL) is an error
// too, but found only when the batch has been executed, so the other rows of its batch stay
// written unless the caller's transaction is rolled back.
//
// A nil row among rows is an error matching [ErrInvalid], as are a nil Repo or one not made by
// [New], a nil context and a nil DB; nothing is sent.
func (r *Repo[T]) Insert(ctx context.Context, db DB, rows ...*T) error {
	if err := r.check(ctx, db, "insert"); err != nil {
		return err
	}
	if err := r.checkRows(rows); err != nil {
		return &Error{Op: "insert", Table: r.table, Err: err}
	}
	if err := r.writing(db, rows); err != nil {
		return &Error{Op: "insert", Table: r.table, Err: err}
	}
	if len(rows) == 0 {
		return nil
	}
	restore := r.keepBack(rows)
	if err := r.sendInsert(ctx, db, r.insertStatements(rows)); err != nil {
		r.clearSerial(rows)
		restore()
		return &Error{Op: "insert", Table: r.table, Err: err}
	}
	r.stored(db, rows)
	return nil
}

// insertBatch is how many single-row INSERTs of a table with a generated key one pgx batch
// carries. Measured inserting 100,000 rows on a local server: from 2,500 a batch up to all of
// them in one, the time is the same within noise (10–14 µs a row), while the peak memory of the
// process grows by about 1 KB per statement in a batch (41 MB at 10,000, 129 MB at 100,000). At
// 10,000, a 1 ms network round trip adds 0.1 µs a row.
const insertBatch = 10_000

// insertStatements builds the INSERTs of rows, one slice per round trip as Insert sends them in
// a transaction: the one builder of Insert and of a unit of work's flush. A table whose key the
// client assigns gets multi-row INSERTs of at most MaxParams bind parameters each, all in one
// round trip. A table whose key the database generates gets one INSERT … RETURNING per row (the
// statement prepared at declaration), insertBatch of them a round trip, each statement's Read
// scanning its key into its row: statement i returns row i's key, whatever made it.
func (r *Repo[T]) insertStatements(rows []*T) [][]pipe.Statement {
	if len(rows) == 0 {
		return nil
	}
	if len(r.insBack) == 0 {
		return [][]pipe.Statement{r.chunks(rows, r.writes, r.insertStatement, nil)}
	}
	trips := make([][]pipe.Statement, 0, (len(rows)+insertBatch-1)/insertBatch)
	for start := 0; start < len(rows); start += insertBatch {
		trips = append(trips, r.returningStatements(rows[start:min(start+insertBatch, len(rows))], start, len(rows) == 1))
	}
	return trips
}

// returningStatements is one INSERT … RETURNING per row of rows, whose Reads scan what
// statement i returns (the generated key, the Default, ReadOnly and ReadBack columns) into
// rows[i]; first is the index of rows[0] among the rows inserted, for errors. A row holding the
// zero value of a Default column sends DEFAULT for it, in a statement of its own text. A
// statement that returns no row is an error: the database inserted nothing (a BEFORE INSERT
// trigger that returned NULL); pgx.ErrNoRows, as QueryRow reports it, for a lone row.
func (r *Repo[T]) returningStatements(rows []*T, first int, lone bool) []pipe.Statement {
	w := len(r.writes)
	args := r.args(make([]any, 0, len(rows)*w), rows, r.writes)
	// pipe.Send reads the statements' results in order and stops at the first error, so one
	// reader walking rows serves every statement.
	next := 0
	dest := make([]any, len(r.insBack))
	read := func(res pgx.Rows) error {
		row := rows[next]
		next++
		if !res.Next() {
			if err := res.Err(); err != nil {
				return err
			}
			if lone {
				return pgx.ErrNoRows
			}
			return fmt.Errorf("row %d: INSERT … RETURNING returned no row: the database inserted nothing (a BEFORE INSERT trigger that returned NULL?)", first+next-1)
		}
		for i, c := range r.insBack {
			dest[i] = c.addr(row)
		}
		return res.Scan(dest...)
	}
	stmts := make([]pipe.Statement, len(rows))
	for i, row := range rows {
		a := args[i*w : (i+1)*w : (i+1)*w]
		sql := r.insertSQL
		if len(r.defaults) > 0 {
			sql, a = r.insertDefaults(row, a)
		}
		stmts[i] = pipe.Statement{SQL: sql, Args: a, Read: read, Rows: 1}
	}
	return stmts
}

// insertDefaults is the one-row INSERT of row and its arguments, args less those of the
// Default columns row holds the zero value of, which the statement sends as DEFAULT. The
// statement of each combination of such columns is built once (New allows 63 Default
// columns, one bit each).
func (r *Repo[T]) insertDefaults(row *T, args []any) (string, []any) {
	var set uint64 // bit i: the Default column r.defaults[i] is zero in row
	for i, w := range r.defaults {
		if r.writes[w].isZero(row) {
			set |= 1 << i
		}
	}
	if set == 0 {
		return r.insertSQL, args
	}
	defaulted := func(w int) bool {
		i := slices.Index(r.defaults, w)
		return i >= 0 && set&(1<<i) != 0
	}
	kept := make([]any, 0, len(args))
	for w, a := range args {
		if !defaulted(w) {
			kept = append(kept, a)
		}
	}
	return r.cached(&r.insertSome, int(set), func() string {
		var b strings.Builder
		b.WriteString("INSERT INTO ")
		b.WriteString(r.quoted)
		b.WriteString(" (")
		b.WriteString(quotedList(r.writes))
		b.WriteString(") VALUES (")
		n := 0
		for w := range r.writes {
			if w > 0 {
				b.WriteString(", ")
			}
			if defaulted(w) {
				b.WriteString("DEFAULT")
				continue
			}
			n++
			b.WriteString("$")
			b.WriteString(strconv.Itoa(n))
		}
		b.WriteString(")")
		b.WriteString(r.returning)
		return b.String()
	}), kept
}

// sendInsert sends the round trips of insertStatements. More than one (more than insertBatch
// rows with a generated key) go inside one transaction: db's own if it is in one already (a
// pgx.Tx, a unit-of-work session, a connection inside BEGIN), else one that sendInsert begins
// and commits. A DB that is in no transaction it can tell and cannot begin one gets every
// statement in one batch, one implicit transaction, whatever the memory it takes.
func (r *Repo[T]) sendInsert(ctx context.Context, db DB, trips [][]pipe.Statement) error {
	if len(trips) == 1 {
		return pipe.Send(ctx, db, trips[0])
	}
	b, canBegin := db.(beginner)
	inTx := inTransaction(db)
	if !canBegin && !inTx {
		return pipe.Send(ctx, db, slices.Concat(trips...))
	}
	each := func(db DB) error {
		for _, stmts := range trips {
			if err := pipe.Send(ctx, db, stmts); err != nil {
				return err
			}
		}
		return nil
	}
	if inTx {
		return each(db)
	}
	tx, err := b.Begin(ctx)
	if err != nil {
		return err
	}
	if err := each(tx); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	return tx.Commit(ctx)
}

// beginner is a DB that can begin a transaction: a pool, a connection (and a pgx.Tx, whose Begin
// makes a savepoint, but it is in a transaction already).
type beginner interface {
	Begin(context.Context) (pgx.Tx, error)
}

// inTransaction reports whether db is known to run its statements inside a transaction block:
// a pgx.Tx, a unit-of-work session, or a connection whose server says so.
func inTransaction(db DB) bool {
	switch c := db.(type) {
	case pgx.Tx:
		return true
	case interface{ Tx() pgx.Tx }: // a uow.Session, always in its transaction
		return true
	case interface{ PgConn() *pgconn.PgConn }: // *pgx.Conn
		return c.PgConn().TxStatus() != 'I'
	case interface{ Conn() *pgx.Conn }: // *pgxpool.Conn
		return c.Conn().PgConn().TxStatus() != 'I'
	}
	return false
}

// clearSerial sets the generated key of rows back to zero, after a write that failed.
func (r *Repo[T]) clearSerial(rows []*T) {
	if r.serial == nil {
		return
	}
	for _, row := range rows {
		r.serial.copy(row, r.zero)
	}
}

// keepBack returns what puts back the values rows hold now in the columns an INSERT reads back
// (but the generated key, which clearSerial zeroes), for a write that fails: a copy of each row
// when the table has such columns, nothing otherwise.
func (r *Repo[T]) keepBack(rows []*T) func() {
	back := r.insBack
	if r.serial != nil {
		back = back[1:]
	}
	if len(back) == 0 {
		return func() {}
	}
	was := make([]T, len(rows))
	for i, row := range rows {
		was[i] = *row
	}
	return func() {
		for i, row := range rows {
			for _, c := range back {
				c.copy(row, &was[i])
			}
		}
	}
}

// writing asks a session whether rows may be written through it, before anything is sent.
func (r *Repo[T]) writing(db DB, rows []*T) error {
	if ident := engine.IdentityOf(db); ident != nil {
		for _, row := range rows {
			if err := ident.Writing(r, row); err != nil {
				return err
			}
		}
	}
	return nil
}

// stored tells a session that rows were written.
func (r *Repo[T]) stored(db DB, rows []*T) {
	if ident := engine.IdentityOf(db); ident != nil {
		for _, row := range rows {
			ident.Stored(r, row)
		}
	}
}

// insertStatement is the INSERT of n rows, cached per n.
func (r *Repo[T]) insertStatement(n int) string {
	if n == 1 && r.insertSQL != "" {
		return r.insertSQL
	}
	return r.cached(&r.insertMany, n, func() string {
		var b strings.Builder
		b.WriteString("INSERT INTO ")
		b.WriteString(r.quoted)
		if len(r.writes) == 0 {
			// Only a generated key, and one row: Insert sends a statement per row of those.
			b.WriteString(" DEFAULT VALUES")
			b.WriteString(r.returning)
			return b.String()
		}
		b.WriteString(" (")
		b.WriteString(quotedList(r.writes))
		b.WriteString(") VALUES ")
		b.Write(sqltext.Values(make([]byte, 0, n*len(r.writes)*6), n, len(r.writes)))
		b.WriteString(r.returning)
		return b.String()
	})
}

// cached returns the statement stored in c under key, building it on first use.
func (r *Repo[T]) cached(c *sync.Map, key int, build func() string) string {
	if s, ok := c.Load(key); ok {
		return s.(string)
	}
	s := build()
	c.Store(key, s)
	return s
}

// chunks is the statements that write rows in chunks of at most MaxParams arguments: stmt(n) is
// the statement for n rows, and read, if not nil, consumes what each statement returns for its
// chunk.
func (r *Repo[T]) chunks(rows []*T, cols []*column[T], stmt func(int) string, read func(pgx.Rows, []*T) error) []pipe.Statement {
	per := sqltext.MaxParams / max(len(cols), 1)
	var stmts []pipe.Statement
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		s := pipe.Statement{SQL: stmt(len(chunk)), Args: r.args(nil, chunk, cols)}
		if read != nil {
			s.Read = func(res pgx.Rows) error { return read(res, chunk) }
		}
		stmts = append(stmts, s)
	}
	return stmts
}

// args appends the values of cols in each of rows.
func (r *Repo[T]) args(dst []any, rows []*T, cols []*column[T]) []any {
	if dst == nil {
		dst = make([]any, 0, len(rows)*len(cols))
	}
	for _, row := range rows {
		for _, c := range cols {
			dst = append(dst, c.value(row))
		}
	}
	return dst
}

func (r *Repo[T]) checkRows(rows []*T) error {
	for i, row := range rows {
		if row == nil {
			return invalidf("row %d is nil", i)
		}
	}
	return nil
}

// Update writes row's columns, every non-key column without cols, only cols with them, to the
// row with row's primary key. A missing row is [ErrNotFound]. The statement for all columns is
// built at declaration, the one for each set of chosen columns once, on first use.
//
// Errors matching [ErrInvalid], found before anything is sent: a nil row; a nil column among
// cols, a column of another Repo (of the same Go type, over another table) or of none, a key
// column or the Version column; a table whose columns are all key columns; and the mistakes every
// operation refuses (a nil or undeclared Repo, a nil context, a nil DB).
func (r *Repo[T]) Update(ctx context.Context, db DB, row *T, cols ...Field[T]) error {
	if err := r.check(ctx, db, "update"); err != nil {
		return err
	}
	fail := func(err error) error { return &Error{Op: "update", Table: r.table, Err: err} }
	if row == nil {
		return fail(invalidf("nil row"))
	}
	sql, sets := r.updateSQL, r.sets
	if len(cols) > 0 {
		var err error
		if sql, sets, err = r.updateOf(cols); err != nil {
			return fail(err)
		}
	}
	if len(sets) == 0 {
		return fail(invalidf("no column to update: every column of %s is part of its primary key", r.table))
	}
	if err := r.writing(db, []*T{row}); err != nil {
		return &Error{Op: "update", Table: r.table, Key: r.Key(row), Err: err}
	}
	var tag pgconn.CommandTag
	var err error
	if r.updReturn == "" {
		tag, err = db.Exec(ctx, sql, r.updateArgs(row, sets)...)
	} else { // it reads columns back: through pipe, which checks the tag after the rows
		st := pipe.Statement{SQL: sql, Args: r.updateArgs(row, sets), Read: r.readUpdated(row)}
		st.Done = func(t pgconn.CommandTag) error { tag = t; return nil }
		err = pipe.Send(ctx, db, []pipe.Statement{st})
	}
	if err == nil && tag.RowsAffected() == 0 {
		err = ErrNotFound
		if r.version != nil {
			err = ErrStale
		}
	}
	if err != nil {
		return &Error{Op: "update", Table: r.table, Key: r.Key(row), Err: err}
	}
	if r.version != nil {
		r.version.bump(row)
	}
	r.stored(db, []*T{row})
	return nil
}

// updateOf checks the chosen columns and returns their statement, cached by the set of columns.
func (r *Repo[T]) updateOf(cols []Field[T]) (string, []*column[T], error) {
	var set uint64
	sets := make([]*column[T], 0, len(cols))
	for _, f := range cols {
		c, err := r.owns(f)
		if err != nil {
			return "", nil, err
		}
		if c.kind == kindKey || c.kind == kindSerial {
			return "", nil, invalidf("column %s is part of the primary key; Update does not change keys", c.name)
		}
		if c.kind == kindVersion {
			return "", nil, invalidf("column %s is the version column; Update bumps it itself", c.name)
		}
		if c.owned&ownReadOnly != 0 {
			return "", nil, invalidf("column %s is ReadOnly: the database sets it, and an UPDATE reads it back", c.name)
		}
		i := r.index(c)
		if i < 64 {
			if set&(1<<i) != 0 {
				continue
			}
			set |= 1 << i
		}
		sets = append(sets, c)
	}
	if len(r.cols) <= 64 {
		// Write the columns in declaration order so that one set has one statement.
		sets = sets[:0]
		for s := set; s != 0; s &= s - 1 {
			sets = append(sets, r.cols[bits.TrailingZeros64(s)])
		}
	}
	return r.updateSQLOf(set, sets), sets, nil
}

// updateSQLOf is the UPDATE of sets, whose positions among the columns are the bits of set
// (unused for a table of more than 64 columns, whose statements are built each time): cached
// per set.
func (r *Repo[T]) updateSQLOf(set uint64, sets []*column[T]) string {
	switch {
	case len(sets) == len(r.sets):
		return r.updateSQL
	case len(r.cols) > 64:
		return r.updateStatement(sets)
	}
	return r.cached(&r.updateSome, int(set), func() string { return r.updateStatement(sets) })
}

// updateArgs is the arguments of row's UPDATE of sets: their values, then the key's, then the
// version's.
func (r *Repo[T]) updateArgs(row *T, sets []*column[T]) []any {
	args := r.args(make([]any, 0, len(sets)+len(r.key)+1), []*T{row}, sets)
	args = r.args(args, []*T{row}, r.key)
	if r.version != nil {
		args = append(args, r.version.value(row))
	}
	return args
}

func (r *Repo[T]) index(c *column[T]) int {
	for i, x := range r.cols {
		if x == c {
			return i
		}
	}
	return -1
}

// writeSets writes "UPDATE table SET c = v, …" for sets, v being value(i) for the i-th.
func (r *Repo[T]) writeSets(b *strings.Builder, sets []*column[T], value func(i int) string) {
	b.WriteString("UPDATE ")
	b.WriteString(r.quoted)
	b.WriteString(" SET ")
	for i, c := range sets {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.quoted)
		b.WriteString(" = ")
		b.WriteString(value(i))
	}
}

// nullUpdateSQL is the UPDATE setting the columns at cols NULL in the rows whose keys are $1,
// returning their keys: cached per set of columns, as updateSQLOf's.
func (r *Repo[T]) nullUpdateSQL(cols []int) string {
	build := func() string {
		sets := make([]*column[T], len(cols))
		for i, c := range cols {
			sets[i] = r.cols[c]
		}
		var b strings.Builder
		r.writeSets(&b, sets, func(int) string { return "NULL" })
		k := r.key[0].quoted
		b.WriteString(" WHERE " + k + " = ANY($1) RETURNING " + k)
		return b.String()
	}
	if len(r.cols) > 64 {
		return build()
	}
	var set uint64
	for _, c := range cols {
		set |= 1 << c
	}
	return r.cached(&r.nullSome, int(set), build)
}

func (r *Repo[T]) updateStatement(sets []*column[T]) string {
	if len(sets) == 0 {
		return ""
	}
	var b strings.Builder
	r.writeSets(&b, sets, func(i int) string { return "$" + strconv.Itoa(i+1) })
	if r.version != nil {
		fmt.Fprintf(&b, ", %s = %s + 1", r.version.quoted, r.version.quoted)
	}
	b.WriteString(" WHERE ")
	n := len(sets)
	for i, k := range r.key {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(k.quoted)
		b.WriteString(" = $")
		b.WriteString(strconv.Itoa(n + i + 1))
	}
	if r.version != nil {
		fmt.Fprintf(&b, " AND %s = $%d", r.version.quoted, n+len(r.key)+1)
	}
	b.WriteString(r.updReturn)
	return b.String()
}

// readUpdated scans what an UPDATE … RETURNING gives back (the ReadOnly and ReadBack columns)
// into row; an UPDATE that matched no row returns nothing and changes nothing.
func (r *Repo[T]) readUpdated(row *T) func(pgx.Rows) error {
	return func(res pgx.Rows) error {
		if !res.Next() {
			return res.Err()
		}
		return res.Scan(r.backDests(r.updBack, row)...)
	}
}

// backDests is where a RETURNING of cols scans into row.
func (r *Repo[T]) backDests(cols []*column[T], row *T) []any {
	dest := make([]any, len(cols))
	for i, c := range cols {
		dest[i] = c.addr(row)
	}
	return dest
}

// Delete deletes the row whose primary key is key (see [Repo.Get] for its form). A missing row
// is [ErrNotFound]. A key Get would refuse (nil, of another type, a composite key of the wrong
// shape) is an error matching [ErrInvalid], and nothing is sent.
func (r *Repo[T]) Delete(ctx context.Context, db DB, key any) error {
	if err := r.check(ctx, db, "delete"); err != nil {
		return err
	}
	args, err := r.keyArgs(key)
	if err == nil {
		var n int64
		if n, err = exec(ctx, db, r.deleteSQL, args); err == nil && n == 0 {
			err = ErrNotFound
		}
	}
	if err != nil {
		return &Error{Op: "delete", Table: r.table, Key: key, Err: err}
	}
	if ident := engine.IdentityOf(db); ident != nil {
		ident.Deleted(r, key)
	}
	return nil
}

// DeleteWhere deletes the rows that match every one of where and returns how many it deleted. It
// refuses to run without a condition; to empty the table, say so: repo.Raw[T]("TRUE"). Through a
// unit-of-work session it reads back the deleted keys (RETURNING) so that the session forgets
// those rows. No condition (or only zero Preds) and the mistakes [Repo.Find] refuses are errors
// matching [ErrInvalid], and nothing is sent.
func (r *Repo[T]) DeleteWhere(ctx context.Context, db DB, where ...Pred[T]) (int64, error) {
	if err := r.check(ctx, db, "delete"); err != nil {
		return 0, err
	}
	ident := engine.IdentityOf(db)
	tracked := ident != nil
	suffix := ""
	if tracked {
		suffix = " RETURNING " + quotedList(r.key)
	}
	sql, args, err := r.filtered("DELETE FROM "+r.quoted, where, suffix)
	if err == nil && len(args) == 0 && !strings.Contains(sql, " WHERE ") {
		err = invalidf("DeleteWhere without a condition; to delete every row pass repo.Raw[T](\"TRUE\")")
	}
	var n int64
	switch {
	case err != nil:
	case tracked:
		var rows pgx.Rows
		if rows, err = db.Query(ctx, sql, args...); err == nil {
			scratch := new(T)
			dest := make([]any, len(r.key))
			for i, k := range r.key {
				dest[i] = k.addr(scratch)
			}
			for rows.Next() {
				if err = rows.Scan(dest...); err != nil {
					break
				}
				n++
				ident.Deleted(r, r.Key(scratch))
			}
			rows.Close()
			if err == nil {
				err = rows.Err()
			}
		}
	default:
		n, err = exec(ctx, db, sql, args)
	}
	if err != nil {
		return 0, &Error{Op: "delete", Table: r.table, Err: err}
	}
	return n, nil
}

func exec(ctx context.Context, db DB, sql string, args []any) (int64, error) {
	tag, err := db.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}
