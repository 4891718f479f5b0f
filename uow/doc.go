// Package uow is kinship's unit of work: what SQLAlchemy's Session and EF Core's DbContext do,
// in Go, without reflection, and without the surprises of either.
//
// # The model
//
// A [Model] is the relations a session knows, and the tables they join, declared once:
//
//	var Model = uow.MustModel(CompanyEmployees, EmployeeCompany) // their Repos come along
//
// NewModel takes relations only ([rel.Relation]: a *rel.Many or *rel.One), so that anything
// else does not compile. A table no relation joins needs no declaration: a session tracks the
// rows of any Repo.
//
// [NewModel] checks the whole graph when it is made — a relation declared wrong, two Repos over
// one table (a session would hold two instances of one row), two relations filling one field,
// DeleteOrphan on rows with two owners, a foreign key that cannot be NULL without a Delete or
// Restrict cascade, a cycle between tables whose foreign keys are all NOT NULL — and says what
// to change (a [*repo.Error] naming the relation or table, matching repo.ErrInvalid). A cycle
// with a nullable foreign key is broken there (see "Flush").
// Cascades and fix-up follow the model's relations only, so a session refuses to load a
// relation left out of its model (it would load it, but a row put in its collection would never
// be written): the load is an error naming the relation, and sends nothing.
//
// # Checking declarations
//
// NewModel checks what Go alone can tell; [Model.Verify] checks the model against the database
// it will run on, in one round trip (one query of pg_catalog covering every table and link
// table), and changes nothing:
//
//	if err := Model.Verify(ctx, pool); err != nil {
//		log.Fatal(err) // every mismatch, one per line, each with what to change
//	}
//
// It reports a table missing from search_path, a column missing, a Go type that cannot hold
// the column's type (an int32 for text or bigint, an int64 for numeric), a NULL the Go type
// cannot hold, a key that is not the table's primary key, a generated key the database does not
// generate, a Version column that is not an integer, and for the relations: a constraint whose ON DELETE contradicts the cascades
// (CASCADE or SET NULL under rel.Restrict, anything but CASCADE under rel.PassiveDeletes), a
// foreign key that orphaning sets NULL on a NOT NULL
// column, a parent key that is not unique, a FOREIGN KEY constraint that refers elsewhere, a
// link table or link column missing. The error is a [*repo.SchemaError] matching
// [repo.ErrSchema]; differences that work but are a risk (a float64 for a numeric, a nullable
// field for a NOT NULL column, a NOT NULL column Go leaves out, a foreign key with no index, with
// the CREATE INDEX to run) are listed in it as notes, and
// alone return nil. Run it at service start-up and in CI, against a database migrated as
// production is. [repo.Repo.Verify] does the same for one table.
//
// # A session's life
//
// [Run] is the usual way in: it begins a transaction, calls a function with a new [Session],
// flushes and commits; it rolls back if the function returns an error or panics, and runs it
// again on a serialization failure or a deadlock ([Retry]):
//
//	err := uow.Run(ctx, pool, Model, func(s *uow.Session) error {
//		c, err := Companies.Get(ctx, s, 1)
//		if err != nil {
//			return err
//		}
//		c.Name = "Acme Inc."
//		return uow.Add(s, Employees, &Employee{Name: "Lisa", CompanyID: &c.ID})
//	})
//
// Inside Run's function, ending the unit of work is Run's: the session's Commit and Rollback
// (and its Tx's) are [ErrRunEnds] and change nothing — return nil to commit, an error to roll
// back. A Run on a pgx.Tx (the caller's, or s.Tx() inside another Run) is a nested unit of work:
// a savepoint, rolled back alone when its function fails, with a session of its own.
//
// [Begin], [Session.Flush], [Session.Commit] and [Session.Rollback] are there for code that
// needs them; [Attach] puts a session on a transaction the caller manages. A session used after
// it ended is [ErrEnded].
//
// A Session is a repo.DB. Every query through it autoflushes first (so that it sees what the
// session added; [Autoflush] turns that off), and every row it reads is resolved to the one
// instance the session holds for that key (the identity map): a query never overwrites changes
// not yet flushed, and Get of a key the session holds returns it without a query or an
// allocation. [Refresh] reads a row again, discarding its changes.
//
// # Change tracking
//
// When the session first holds a row it keeps a copy of it (a plain copy of the struct: memory
// for one more T per row). At flush each row is compared with its copy column by column through
// the columns' accessors and equality functions, and an UPDATE sets only the columns that
// changed. A flush with nothing changed sends nothing. A [repo.Version] column guards UPDATEs and
// DELETEs: one that matches no row is [ErrStale], naming the table and key.
//
// # Cascades
//
// Declared on each relation (package rel), applied here:
//
//   - SaveUpdate (the default): [Add] adds the rows a row reaches through its relations, and a
//     row put in a loaded collection later is added at the next flush.
//   - Delete: [Delete] of a row deletes its rows too, children before parents, loading
//     collections that are not loaded first — or, with PassiveDeletes, leaving them to the
//     database's ON DELETE CASCADE.
//   - Restrict (HasMany, HasOne; ON DELETE RESTRICT): [Delete] of an owner that still has
//     rows fails the flush with [ErrRestricted], naming the relation and the owner — before any
//     SQL when the session knows the rows (its loaded collection, rows it holds whose foreign
//     key names the owner, less those the same flush deletes or moves to another owner), and
//     from the database's refusal of the DELETE otherwise; nothing is loaded to find out. A
//     foreign key that cannot be NULL needs Restrict or Delete.
//   - DeleteOrphan: a row that no owner holds any more — removed from its owner's collection
//     (or from a collection replaced or set to nil), its inverse BelongsTo field set to nil, or
//     its foreign key set NULL — and that no other owner took, is deleted.
//   - Without DeleteOrphan, a row that leaves its owner has its foreign key set NULL; where it
//     cannot be NULL, the flush fails before sending anything, with [ErrOrphan] naming the
//     relation.
//   - A new row that needs an owner — its relation has DeleteOrphan, or its foreign key cannot
//     be NULL — and has none (no owner's collection holds it, its foreign key is NULL or the
//     zero value of its type) is [ErrOrphan] before any SQL (SQLAlchemy: "is an orphan").
//     A foreign key set to the key of a row the session does not hold is an owner.
//   - Assigning a collection (or a HasOne field) that was never loaded replaces what the
//     database holds: the flush loads the members first (one select-in per relation, of every
//     owner assigned so), then applies set-NULL, DeleteOrphan or link deletes to the ones the
//     assignment dropped, as SQLAlchemy does on assignment. A nil collection means "not
//     loaded": to empty a collection that was not loaded, assign an empty slice
//     (c.Employees = []*Employee{}), or load it first. Likewise a nil BelongsTo field means
//     "not loaded": to say "no parent", set the foreign key NULL (e.CompanyID = nil), or set
//     the field to nil after it was loaded.
//   - Many-to-many: putting a row in the collection or taking it out writes or deletes the link
//     row; deleting either side deletes its link rows.
//
// # Relationship fix-up
//
// A relation has three sides that say the same thing: the owner's collection (or field), the
// row's foreign key, and the row's inverse BelongsTo field (a HasMany or HasOne and a BelongsTo
// over the same foreign key column are each other's inverse, found by the model). The session
// keeps them in step, as EF Core does and SQLAlchemy does not: a row added with a foreign key
// that points at a row the session holds appears in that row's loaded collection at once, and
// moving a row — by appending it to another collection, by setting its BelongsTo field, or by
// setting its foreign key — takes it out of the old collection and sets the other sides. So
// the collection of a company loaded with two employees counts 3 after adding a third with its
// company_id, whatever strategy loaded it. [Add] fixes up at once; changes made to rows already
// held are found at the next flush (and so at the next query, through autoflush).
//
// # Owners, moves and orphans
//
// A row's owner is decided once per flush, after every owner's collection has been read, from
// what changed since the last flush (or the Add that brought the row in):
//
//   - A collection that gained the row, its inverse BelongsTo field set to a row, or its
//     foreign key set to a key: each names an owner. If they all name the same one (or one
//     side alone does), the row moves there: it leaves the collection that held it, and the
//     other sides are set to agree. The order in which the session met the owners does not
//     matter: a row taken out of one collection and put into another is moved, not orphaned.
//   - A foreign key set to the key of a row the session does not hold moves the row there: it
//     leaves its old owner's collection, its inverse field is cleared (not loaded), and no later
//     flush writes the old key back.
//   - Two sides that name different owners — the row put in two collections, or in one while
//     its foreign key names another — are [ErrConflict], before any SQL, naming the relation,
//     the row and each owner: the session cannot tell which edit came last, and will not
//     guess. Edits separated by a flush are not in conflict: the later one wins.
//   - Only a row that left its owner with no side naming another is an orphan (see Cascades).
//   - A foreign key set to the key of a row that is then deleted names the row deleted: the
//     Delete takes the rows whose foreign key was set to its key since the last flush, and its
//     cascades reach them — even if a row added afterwards takes that key (a client key, or a
//     unique code). A key set after such a row is added names the new row.
//
// Fix-up works through any key a relation refers to: a primary key, or a unique column such as
// a code (rel.HasMany(firmCode, memberFirmCode, …)); the second costs one pass over the
// owners' rows per flush to index them by that key.
//
// A row deleted in the session leaves every loaded collection that holds it (but that of an
// owner deleted too, which keeps what it held), and a collection that gains it later drops it
// again at the next flush; deleting an owner applies its cascades to the rows it holds at that
// moment, those added or moved to it in the same session included, even before they were ever
// written.
//
// Where kinship differs from SQLAlchemy on purpose: a row added (or changed) with a foreign key
// that points at an owner the session holds joins that owner's loaded collection at once
// (SQLAlchemy leaves the collection stale until it expires); a foreign key or BelongsTo field
// set to NULL under DeleteOrphan makes the row an orphan, as removing it from the collection
// does; conflicting edits are an error rather than whichever the flush happens to process last.
//
// # Flush
//
// [Session.Flush] writes in as few round trips as the tables allow: first one pgx batch with
// the link rows deleted, the DELETEs (children before parents: one per table, or one per row
// where the key is composite or a Version column guards it) and the UPDATEs (changed columns
// only; the rows whose changes are the same nullable columns set NULL — orphans' foreign keys —
// in one UPDATE … WHERE key = ANY($1) per table, where the key is one column and no Version
// column or read-back column is in the way); then the INSERTs, one round trip per table, parents before children, the generated
// keys of parents copied into their children's foreign keys in between (a self-referential
// table in one round trip per level of new rows); then one batch with the UPDATEs that point
// rows at rows just inserted and the link rows inserted. Rows that refer to each other in a cycle
// — two tables (staff.store_id and store.manager_id), or new rows of one table (two employees
// each the other's manager) — are inserted with one nullable foreign key NULL, set by that last
// batch (SQLAlchemy's post_update); deleting both ends sets it NULL before the DELETEs. A cycle
// whose foreign keys are all NOT NULL is refused. Deletes going first lets a new row
// take the unique value (or the client-assigned key: a row switch) of a row deleted in the same
// flush; Session.Flush says when that order cannot help. A row with a generated key is inserted
// by a statement of its own, all of a table's in one round trip (see repo.Generated): a parent
// with 100 new children is two round trips, and with COMMIT three in all. If a statement fails,
// the rows are as they were before the flush: no key assigned, no row counted as written.
//
// # Transactions
//
// A session begun on a pool or a connection ([Begin], [Run]) sends BEGIN in one pgx batch with
// its first statement, whichever it is: a query, a flush's first batch, a statement on its Tx.
// PostgreSQL takes a transaction's snapshot at its first statement, not at BEGIN, so nothing the
// transaction sees changes; what changes is that BEGIN is never a round trip of its own (at a
// 2 ms round-trip time, 2 ms off every unit of work), and a session that sends nothing costs
// nothing, Commit and Rollback included. A BEGIN that fails (a BeginQuery of TxOptions the
// server refuses) fails the statement it went with, and every later one: none runs outside the
// transaction. What cannot go in a batch sends BEGIN alone first: the Tx's CopyFrom, Begin (a
// savepoint), Conn and LargeObjects. A session on a pgx.Tx (a savepoint) or on [Attach] runs in
// the transaction it was given, as it is.
//
// COMMIT goes the same way, at the end of the last batch of the flush that Commit (or Run)
// makes: a unit of work that only writes rows whose keys no other row waits for is one round
// trip, BEGIN to COMMIT; one that reads then writes is two; a parent with new children is one
// per level. What a flush checks in Go between statements is then checked by the server as
// well, in the statements of that last batch: each UPDATE, DELETE and INSERT … RETURNING that
// must affect a number of rows goes inside a WITH that fails the statement unless it did
// (SQLSTATE 22P02, "kinship: 0 rows", mapped to [ErrStale] naming the row, or to the INSERT's
// error), and once a statement of a batch fails the server skips the rest, COMMIT included: a
// stale or partial write is never committed. The price is in what a lost connection means: a
// connection that fails during that last batch is [ErrAmbiguousCommit] (COMMIT was sent), where
// with COMMIT a round trip of its own the same failure during the flush was a plain one. Run
// never retries it; a caller who must know reads the rows back.
//
// Cascade deletes load per level of the relation graph, not per row: the rows deleted, then one
// select-in per relation of every one of their collections not loaded, then the same for the
// rows those reached, and so on.
//
// # Loading
//
// Every strategy of package loadopts works through a session and feeds its identity map. A
// relation reached with its Of and not loaded is loaded once per session (Lazy), unless its
// strategy, or the query that read its owner, said Raise: then it is rel.ErrNotLoaded, and no
// query runs.
//
// # Commit and retry
//
// [Run] retries the whole function on SQLSTATE 40001 and 40P01 with a fresh session, after a
// random wait whose bound doubles ([Retry]). A COMMIT that the connection lost may or may not
// have happened: that is [ErrAmbiguousCommit], never retried.
package uow
