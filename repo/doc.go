// Package repo maps a PostgreSQL table to a Go struct without reflection or struct tags: each
// column is a typed accessor that the compiler checks, the SQL of the fixed statements is built
// once when the table is declared, and rows are scanned straight into the fields.
//
// # Declaring a table
//
// A [Repo] is declared once, next to its struct, from its columns:
//
//	var (
//		employeeID        = repo.Serial("id", func(e *Employee) *int64 { return &e.ID })
//		employeeName      = repo.Col("name", func(e *Employee) *string { return &e.Name })
//		employeeCompanyID = repo.Nullable("company_id", func(e *Employee) **int64 { return &e.CompanyID })
//		Employees         = repo.MustNew("employees", employeeID, employeeName, employeeCompanyID)
//	)
//
// A table in a schema that is not on the search_path is declared by its qualified name,
// repo.MustNew("billing.invoices", …), and so is a link table in [rel.Through].
//
// The kinds of column:
//
//   - [Generated]: a primary key the database generates (a uuid DEFAULT gen_random_uuid(), an
//     identity column, a key a trigger sets), left out of INSERT and read back with RETURNING,
//     each row's from its own statement. [Serial] is Generated for integers (serial, bigserial,
//     identity, any sequence).
//   - [Key]: a primary-key column whose value the client assigns (a UUID, a natural key); several
//     make a composite key, and so do Key columns beside one generated column: the key
//     (payment_id, payment_date) of a table partitioned by date is a Serial and a Key. A
//     composite key is given to [Repo.Get] and [Repo.Delete] as a []any in declaration order.
//   - [Col]: an ordinary column of a comparable Go type, including pgtype types and sql.Null[V].
//   - [Nullable]: a nullable column held in a pointer field; it compares the values pointed to.
//   - [Slice]: a column held in a slice of comparable elements: []byte (bytea), json.RawMessage
//     (jsonb), []string (text[]), []int64 (bigint[]). Compared element by element, nil (NULL)
//     apart from empty; its snapshot is a copy of the elements, so an edit in place is seen.
//   - [ColFunc]: a column of any other type that == cannot compare (maps, JSON decoded into Go
//     values), with its equality function and its clone function, which makes the snapshot
//     that change tracking compares with (nil when a plain copy of the value shares nothing an
//     edit in place could change).
//
// A unit of work tracks a row by a snapshot: a copy of the struct, in which each Slice column,
// and each ColFunc column with a clone, is cloned. That costs one allocation and a copy of the
// elements per such column per tracked row, each time the snapshot is taken (when the row is
// first tracked, and after each flush that writes it); a table without such columns pays one
// allocation per snapshot, the copy of the row.
//
// [New] checks the declaration (names, duplicates, nil columns and accessors, two columns on one
// field, the primary key) and returns an error matching [ErrInvalid] that names the table and
// column at fault; [MustNew] panics on it, for package-level declarations.

// # Columns the database owns
//
// Every declared column is written as Go holds it, unless its declaration says the database
// owns its value:
//
//   - [Column.Default]: the column has a DEFAULT (or a BEFORE INSERT trigger sets it). An INSERT
//     of a row holding Go's zero value sends DEFAULT, so active gets its DEFAULT true and a date
//     its DEFAULT current_date, not false and 0001-01-01. Where the zero value is one to write
//     (false over DEFAULT true), hold the column in a pointer: Nullable(…).Default() sends
//     DEFAULT for nil and false for &false.
//   - [Column.ReadOnly]: a generated column (GENERATED ALWAYS AS (…) STORED) or one triggers
//     maintain (updated_at): never written, by INSERT, UPDATE or Upsert.
//   - [Column.ReadBack]: written, and changed by a trigger as it is (an e-mail lowercased).
//
// Each INSERT reads all three back with RETURNING, and each UPDATE the ReadOnly and ReadBack
// ones, into the row; a unit of work's snapshot takes what was read back, so no UPDATE follows.
// The price is the one of a generated key: an INSERT per row (in one round trip per 10,000
// rows) rather than a multi-row INSERT. [Repo.Verify] reports a generated column not declared
// ReadOnly (every INSERT would fail), a Default column the database has no default for, and,
// as a note, a column with a default Go would write its zero value over.
//
//	memberActive  = repo.Nullable("active", func(m *Member) **bool { return &m.Active }).Default()
//	memberUpper   = repo.Col("upper_name", func(m *Member) *string { return &m.Upper }).ReadOnly()
//	memberUpdated = repo.Col("updated_at", func(m *Member) *time.Time { return &m.Updated }).ReadOnly()
//
// # Querying
//
// Every operation takes a context and a [DB]: a *pgxpool.Pool, a *pgx.Conn, a pgx.Tx or a
// unit-of-work session. Conditions, orderings and limits are built from the columns:
//
//	emps, err := Employees.Find(ctx, pool,
//		employeeCompanyID.Eq(1), employeeName.Like("M%"),
//		employeeName.Asc(), repo.Limit[Employee](10))
//
// A condition on another table's column, or with a value of the wrong type, does not compile. A
// condition or ordering on a column of another Repo of the same Go type (two tables of one
// struct) compiles, and the query refuses it before sending anything.
//
// The conditions: Eq, Ne, Lt, Le, Gt, Ge, In (one array parameter), IsNull, NotNull, combined with
// [And], [Or], [Not]; on text columns, [Column.Like] and [Column.ILike], whose pattern is taken as
// it is (% and _ are wildcards), and for a user's search string [Column.Contains],
// [Column.HasPrefix], [Column.HasSuffix] and their case-insensitive forms [Column.ContainsFold],
// [Column.HasPrefixFold], [Column.HasSuffixFold], which escape it so that its %, _ and \ match
// themselves; [EscapeLike] escapes a string for a pattern of one's own.
//
// [Only] reads some columns of each row (and its key, its Version and the keys its loads match),
// leaving the others zero: a unit of work knows which, writes none of the others, and fills them
// in when the row is read again without Only.
//
// Values are always bind parameters; [Raw] is the one way to write SQL by hand, and its $n
// placeholders are renumbered into the query. A Raw fragment that could end its statement (a ;
// outside literals and comments, which the simple protocol would run as a second statement, or a
// literal or comment left open) is refused when the query is built.
//
// What each operation sends:
//
//	Get          SELECT … WHERE key = $1            one round trip, statement built at declaration
//	Find, All    SELECT … [WHERE …] [ORDER BY …] [LIMIT …]   one round trip; All streams
//	Count        SELECT count(*) …
//	Exists       SELECT EXISTS (SELECT 1 … )
//	Insert       client-assigned key: INSERT … VALUES (…), (…)   one statement per 65,535
//	             parameters, all in one round trip
//	             generated key: INSERT … VALUES (…) RETURNING key   one statement per row, so that
//	             each key is its own row's; 10,000 a round trip, in one transaction
//	Update       UPDATE … SET … WHERE key = $n      all non-key columns, or the ones named
//	Delete       DELETE … WHERE key = $1
//	DeleteWhere  DELETE … WHERE …
//	Upsert       INSERT … ON CONFLICT (…) DO UPDATE SET … RETURNING key, conflict columns
//	             keys matched to rows by the conflict columns' values; one round trip
//
// # Queries of one's own
//
// A report, an aggregate or a join across tables is SQL the caller writes (or builds from
// [Repo.TableSQL], [Column.SQL] and [Pred.SQL]), scanned into a struct of the caller's through a
// [Result]: columns declared as a Repo's are, matched to the result columns by name. It costs
// one round trip and a map lookup per result column per query; no reflection.
//
// # Errors
//
// Every kinship package follows one rule. What went wrong is a sentinel, matched with
// errors.Is: [ErrNotFound] (which also matches pgx.ErrNoRows), [ErrStale] for a row a [Version]
// column shows was changed meanwhile, [ErrInvalid] for a mistake of the caller's found before
// anything was sent, [ErrSchema], rel.ErrNotLoaded, uow.ErrConflict and the others of package
// uow — or the *pgconn.PgError the server sent. Where it went wrong is an [*Error] around the
// cause, naming the operation and the table, column, relation or key: a Repo's call ("get"),
// or another package's ("uow.Flush", "uow.NewModel"), so one errors.As finds the place
// whichever package failed:
//
//	var e *repo.Error
//	if errors.As(err, &e) {
//		log.Printf("%s on %s (relation %q, key %v)", e.Op, e.Table, e.Relation, e.Key)
//	}
//
// An error with no place to name (a nil context, a nil DB) is its sentinel wrapped with a
// message.
//
// Every function that returns an error returns one matching ErrInvalid, never a panic, for the
// nil, zero and empty inputs a caller can give it:
//
//   - declarations ([New]): an empty or too long name, no columns, a nil column, a column without
//     an accessor (or, for [ColFunc], an equality function), an accessor that returns nil or
//     panics on a zero row, two columns on one field, a column declared twice or already in
//     another Repo, no primary key, two generated keys, two Version columns;
//   - every operation: a nil Repo or one not made by New, a nil context, a nil DB (nil, or a nil
//     *pgxpool.Pool, *pgxpool.Conn, *pgxpool.Tx or *pgx.Conn);
//   - keys ([Repo.Get], [Repo.Delete]): nil, of another Go type than the key column's (the
//     error names the type expected), a composite key that is not a []any of one non-nil value
//     per key column. [GetBy] and [DeleteBy] take the key column with a key of its type, so that
//     a key of another type does not compile;
//   - options: a nil option, a negative [Limit] or [Offset], Load(nil), the zero [Order];
//     conditions and orderings on a nil column, on a column of another Repo or of none; a
//     malformed Raw fragment (see [Raw]); [Repo.DeleteWhere] without a condition;
//   - writes: a nil row, a nil column or one of another Repo among the columns named
//     ([Repo.Update], [Repo.Upsert]), a key or Version column to update.
//
// The functions with no error to return do not panic on such inputs either, and say what they
// return: a nil Repo has no table, columns or key; [Column.Get] of a nil row is the zero value,
// [Column.Set] of one does nothing; a nil [Tracer] counts nothing. A
// nil *[NullColumn] pointer is the exception: Go dereferences it to reach the methods it takes from
// its embedded *Column (IsNull, NotNull, Like, …, Asc, Desc), before they can tell.
//
// # PostgreSQL types
//
// pgx decodes every type; what kinship adds is how a column is compared and snapshotted, which
// decides whether a unit of work sees a change, and sees none where there is none:
//
//	PostgreSQL              Go field                          declare with
//	integer, bigint, …      int32, int64 (*int64 if NULL)      Col (Nullable)
//	text, varchar, enum     string, a named string type        Col (Nullable: *Mood)
//	domain                  the Go type of its base type       as its base type
//	boolean DEFAULT true    *bool                              Nullable(…).Default(): nil sends DEFAULT
//	numeric                 pgtype.Numeric                     Numeric (Col compares its *big.Int by address)
//	numeric, as a float     float64                            Col; Verify notes the loss of precision
//	date, timestamptz       time.Time, pgtype.Date             Col; Default() for DEFAULT now()
//	interval                pgtype.Interval                    Col
//	uuid                    [16]byte, string, pgtype.UUID      Col, or Generated/Default() for DEFAULT gen_random_uuid()
//	bytea                   []byte                             Slice (an edit in place is seen)
//	jsonb, json             json.RawMessage                    Slice; decoded values: ColFunc with equal and clone
//	text[], bigint[], …     []string, []int64                  Slice
//	tsvector (generated)    pgtype.TSVector                    ColFunc(…, equal by String, nil).ReadOnly()
//	int4range, tstzrange    pgtype.Range[pgtype.Int4], …       Col (comparable when its bounds are)
//	GENERATED … STORED      its type                           ReadOnly
//
// Hold jsonb in a json.RawMessage, not a []byte: under the simple protocol (pgx's
// QueryExecModeSimpleProtocol, what a PgBouncer in transaction mode asks for) pgx sends a []byte
// as bytea, which jsonb refuses. A zero pgtype.UUID (Valid false) is written as NULL: declare
// the column Default to have the database's default instead. jsonb comes back in its canonical
// form (keys sorted, spaces removed), so bytes read back can differ from the bytes written while
// meaning the same; that costs at most one UPDATE, never a loss. [NumericEqual] and
// [NumericClone] are the numeric helpers, for a [ColFunc] of a type that holds a pgtype.Numeric.
//
// # Watching the SQL
//
// [Tracer] is a pgx tracer that logs every statement through log/slog and counts statements and
// round trips, so that a test can assert what an operation cost. [EchoHandler] prints what it
// logs as one line per statement with readable arguments (an enum held in a pointer prints as
// its value), what SQLAlchemy's echo=True shows:
//
//	tr := &repo.Tracer{Logger: slog.New(repo.NewEchoHandler(os.Stderr, ""))}
package repo
