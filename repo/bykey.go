package repo

import "context"

// GetBy is [Repo.Get] with a key whose type the compiler checks: key is a value of the Go type
// of col, the table's one-column primary key (Employees' EmployeeID, an int64), so that
// repo.GetBy(ctx, db, EmployeeID, "3") does not compile where Employees.Get(ctx, db, "3")
// compiles and fails before sending anything. A col that is not its Repo's whole primary key
// is an error matching [ErrInvalid]. It costs what Get costs: the key is boxed once.
func GetBy[T any, K comparable](ctx context.Context, db DB, col *Column[T, K], key K, opts ...Option[T]) (*T, error) {
	r, err := keyRepo(col, "get")
	if err != nil {
		return nil, err
	}
	return r.Get(ctx, db, key, opts...)
}

// DeleteBy is [Repo.Delete] with a key whose type the compiler checks, as [GetBy] takes it.
func DeleteBy[T any, K comparable](ctx context.Context, db DB, col *Column[T, K], key K) error {
	r, err := keyRepo(col, "delete")
	if err != nil {
		return err
	}
	return r.Delete(ctx, db, key)
}

// keyRepo returns the Repo whose one-column primary key col is.
func keyRepo[T any, K comparable](col *Column[T, K], op string) (*Repo[T], error) {
	r := col.Repo()
	switch {
	case col == nil:
		return nil, &Error{Op: op, Err: invalidf("nil key column")}
	case r == nil:
		return nil, &Error{Op: op, Column: col.Name(), Err: invalidf("the column belongs to no Repo: give it to repo.New")}
	case len(r.key) != 1 || r.key[0] != &col.col:
		return nil, &Error{Op: op, Table: r.table, Column: col.Name(), Err: invalidf("%s is not the primary key of %s (%s): GetBy and DeleteBy take a one-column primary key; pass a composite key to Get or Delete as a []any", col.Name(), r.table, quotedList(r.key))}
	}
	return r, nil
}
