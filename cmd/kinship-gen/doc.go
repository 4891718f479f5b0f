// Command kinship-gen writes kinship declarations from a live PostgreSQL schema: per table a
// struct, its typed columns and its Repo; every one-column foreign key as a pair of relations;
// and the model that joins them. The files are plain Go that a person then owns and edits:
//
//	go run github.com/kinship-go/kinship/cmd/kinship-gen@latest -db "$DATABASE_URL" -schema public -out ./db
//
// It reads the catalog in two queries and changes nothing in the database. What it writes:
//
//   - A struct per table (partitions left out: the partitioned table's Repo covers them), its
//     fields named as Go spells them (customer_id → CustomerID), a nullable column a pointer
//     (unless its type holds NULL itself, as pgtype.Numeric and slices do).
//   - Per column a declaration: repo.Serial for an integer key the database assigns (identity,
//     serial), repo.Generated for another key with a default, repo.Key for the rest of a key;
//     .ReadOnly() for a GENERATED or identity column, .Default() for a column with a default
//     (a bool, number or text one as a pointer, nil for the default: with DEFAULT true, a bool
//     field's false would mean "the default" and could never be written, GORM's old trap);
//     repo.Slice for arrays, bytea and json; repo.Numeric for numeric; an enum becomes a Go
//     string type with a constant per value.
//   - Per foreign key over one column: a BelongsTo on the table holding it, and on the table
//     it refers to a HasMany (a HasOne where the foreign key is unique), their cascades taken from
//     the constraint: ON DELETE CASCADE is rel.Cascade(rel.All, rel.PassiveDeletes); a NOT NULL
//     foreign key under RESTRICT or NO ACTION is rel.Restrict; a nullable one is set NULL.
//     A table of two foreign keys that are its key together and nothing else is a link table: a
//     ManyToMany on each side, and no struct. A foreign key over several columns, or to a table
//     not generated, is named in the struct's comment with the reason it declares nothing.
//   - model.go: the uow.Model of every relation; enums.go; with -test, model_test.go, which checks
//     the model against DATABASE_URL and loads every relation with every strategy.
//
// Where the database says too little, the generated code says so in a comment rather than
// guess: a foreign key over two columns or to a table not generated, a column of a type with no
// Go mapping (pass -type), a table without a key (left out, named in model.go's doc), a BEFORE
// trigger that may rewrite columns (mark them .ReadBack()), a cycle of NOT NULL foreign keys (one
// relation left out: no flush could insert either row first). A link table's other columns must
// have a default or take NULL, for the link rows a ManyToMany writes hold the two keys alone; one
// with a column a row needs is a table of its own, with two BelongsTo.
//
// Flags:
//
//	-db URL           the database (default $DATABASE_URL)
//	-schema a,b       the schemas to read, in order (default public); tables outside public are
//	                  named schema.table
//	-out DIR          the package directory (default ./db); -package NAME its name (default DIR's)
//	-include p,q      only tables matching these path.Match patterns, on table or schema.table
//	-exclude p,q      leave out tables matching these
//	-type K=T         Go type T for K: an SQL type (numeric, text[], a domain or enum name) or a
//	                  column (table.column); T is a name (string, []int64) or import/path.Name
//	                  (github.com/shopspring/decimal.Decimal). Repeatable. The type is compared
//	                  with ==: one whose == is not value equality needs repo.ColFunc, by hand.
//	-version a,b      columns that are optimistic-concurrency versions (repo.Version)
//	-test             write model_test.go
//	-dry-run          print the files (txtar: "-- name --" before each) instead of writing them
//	-force            overwrite files edited since kinship-gen wrote them
//
// Output is gofmt-ed and the same on every run over an unchanged schema. Each file carries a
// checksum of what was written: run again, kinship-gen rewrites a file only while it is
// unchanged, and refuses, before writing anything, when a file was edited (or not written by
// it), unless -force. A file it wrote once for a table since dropped is removed if unchanged.
package main
