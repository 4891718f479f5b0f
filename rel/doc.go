// Package rel declares relations between tables of package repo: which rows of one table belong
// to a row of another, the field of the Go struct that holds them, how a unit of work cascades
// changes along them, and how they load by default. Package loadopts loads them with a query;
// package uow keeps them in step inside a session.
//
// # Declaring relations
//
// A relation is declared once, at package level, from the key columns of two tables (each a
// [repo.Repo]) and an accessor for the field it fills:
//
//	type Company struct {
//		ID        int64
//		Name      string
//		Employees []*Employee
//		Profile   *Profile
//	}
//
//	type Employee struct {
//		ID        int64
//		Name      string
//		CompanyID *int64 // NULL: an employee without a company
//		ManagerID *int64
//		Company   *Company
//		Manager   *Employee
//		Reports   []*Employee
//		Skills    []*Skill
//	}
//
//	var (
//		CompanyEmployees = rel.HasMany(companyID, employeeCompanyID,
//			func(c *Company) *[]*Employee { return &c.Employees },
//			rel.Cascade(rel.All, rel.DeleteOrphan))
//		EmployeeCompany = rel.BelongsTo(employeeCompanyID, companyID,
//			func(e *Employee) **Company { return &e.Company })
//		CompanyProfile = rel.HasOne(companyID, profileCompanyID,
//			func(c *Company) **Profile { return &c.Profile })
//		EmployeeSkills = rel.ManyToMany(employeeID, skillID,
//			rel.Through{Table: "employee_skills", From: "employee_id", To: "skill_id"},
//			func(e *Employee) *[]*Skill { return &e.Skills })
//
//		// Self-referential: both sides are employees.
//		EmployeeManager = rel.BelongsTo(employeeManagerID, employeeID,
//			func(e *Employee) **Employee { return &e.Manager })
//		EmployeeReports = rel.HasMany(employeeID, employeeManagerID,
//			func(e *Employee) *[]*Employee { return &e.Reports })
//	)
//
// where companyID is the companies' repo.Serial primary key, employeeCompanyID the employees'
// repo.Nullable("company_id", …) column, and so on (Profile and Skill are declared likewise);
// each column must have been given to its Repo with [repo.New].
//
// The four kinds:
//
//   - [HasMany]: the parent P has a collection []*C; C's foreign key refers to P's key column
//     (usually its primary key).
//   - [BelongsTo]: the other side of a HasMany, or a plain many-to-one: P holds the foreign key
//     and a *C.
//   - [HasOne]: P has one *C, whose foreign key refers to P; a second C for one P is an error
//     when loading.
//   - [ManyToMany]: P has a []*C through a link table named by [Through]: its From column refers
//     to P's key, its To column to C's. A unit of work writes and deletes the link rows as the
//     collection changes.
//
// With P and C the same type the relation is self-referential, as EmployeeManager and
// EmployeeReports above are: nothing else changes.
//
// Options: [Named] names the relation in errors and logs (without it the name is made of its
// tables and columns, e.g. "companies.id→employees.company_id"); [Cascade] and [DefaultLoad] are
// described below. A mistake that the compiler cannot see (a nil accessor or key column, a link
// table's name that is not an identifier, a column never given to a Repo, PassiveDeletes without
// Delete) is reported by every use of the relation, before any SQL is sent, as an error matching
// repo.ErrInvalid.
//
// # Why keys are columns
//
// A relation takes typed column handles, not names, so that its types are inferred from them and
// checked by the compiler: P and C from the columns' tables, and the key's Go type K from both
// columns. A foreign key holds the same K as the key it refers to; a nullable foreign key is
// declared with repo.Nullable, whose *NullColumn[Employee, int64] holds an int64 just as the
// companies' *Column[Company, int64] does (both are a [repo.Ref]). So each of these mistakes is
// a compile error, not a surprise at query time:
//
//   - a foreign key of another Go type than its key (a string company_id against an int64 id):
//     "type *repo.Column[Employee, string] of employeeCompanyID does not match inferred type
//     repo.Ref[Employee, int64] for repo.Ref[C, K]";
//   - an accessor on the wrong struct (a collection of Employee's given to a relation of
//     companies): "type func(e *Employee) *[]*Employee of func(e *Employee) *[]*Employee {…}
//     does not match inferred type func(*Company) *[]*Employee for func(*P) *[]*C";
//   - a path whose links do not chain (companies→employees, then skills→employees): "type
//     *rel.Many[Skill, Employee] of skillEmployees does not match inferred type
//     rel.Path[Employee, Employee] for rel.Path[B, C]".
//
// The package's tests compile one program for each (rel/testdata/notcompile) and check that the
// compiler refuses it with that message.
//
// # Inverses
//
// A [HasMany] (or a [HasOne]) and a [BelongsTo] over the same foreign key column
// (CompanyEmployees and EmployeeCompany above, both declared with employeeCompanyID) are each
// other's inverse, as SQLAlchemy's back_populates would declare them: there is nothing more to
// declare. Inside a unit-of-work session, package uow keeps the three sides in step (the owner's
// loaded collection, the row's foreign key, the row's BelongsTo field), whichever of them
// changed: an employee appended to a loaded company's Employees gets that company's key in its
// foreign key and the company in its Company field; an employee whose Company field or foreign
// key changes leaves the old company's loaded collection and joins the new one's.
//
// Outside a session nothing does: a struct holds what was set or loaded into it, and loading one
// side ([Many.Load], a query's load options) fills only that side.
//
// # Cascades
//
// What a unit of work does to a relation's rows when something happens to their owner is the
// relation's set of [Cascades], given with [Cascade] (without it: SaveUpdate alone):
//
//   - [SaveUpdate]: adding the owner to a session adds the rows of its collection or field, and
//     rows added to a loaded collection later.
//   - [Delete]: deleting the owner deletes its rows in the same flush, children before parents,
//     loading them first if they are not loaded.
//   - [DeleteOrphan]: a row removed from its owner's collection, or left out when the collection
//     is replaced, is deleted. Without it the row's foreign key is set NULL; where that column
//     cannot be NULL (declared with repo.Col rather than repo.Nullable) the flush fails, before
//     it sends anything, with an error naming the relation (uow.ErrOrphan).
//   - [PassiveDeletes]: with Delete, the database's ON DELETE CASCADE deletes the rows; the unit
//     of work neither loads nor deletes them itself.
//   - [Restrict]: deleting an owner that still has rows is refused (ON DELETE RESTRICT):
//     uow.ErrRestricted, before any SQL when the session knows the rows, from the database's
//     refusal otherwise. Not with Delete.
//   - [All]: SaveUpdate and Delete; add DeleteOrphan for rows that cannot exist without their
//     owner.
//
// A foreign key that cannot be NULL needs Delete or Restrict on its HasMany or HasOne (deleting
// the owner could not set it NULL); package uow refuses a model without either. Cascades belong to package uow
// alone: a query, [Many.Load] and the Insert and Delete of package repo ignore them.
//
// # Loading
//
// No query loads a relation it was not asked to: [repo.Repo.Find] and Get load what their load
// options (package loadopts) name, and nothing else. [DefaultLoad] sets the relation's strategy
// (without it: [Lazy]), which is used
//
//   - for a level of a path (see [Then]) that a query loads without naming it in a load option of
//     its own: the default if it is an eager strategy (Joined, SelectIn, Subquery, Pipelined),
//     SelectIn otherwise;
//   - by [Many.Of] and [One.Of] for a row whose field is not loaded: [Raise] refuses with
//     [ErrNotLoaded] and sends nothing; any other strategy (NoLoad too) loads the row's field there
//     and then.
//
// Package loadopts describes each strategy's SQL and cost, and why to choose it.
//
// Three methods reach a relation's rows for rows already in memory:
//
//   - [Many.Of] (and [One.Of]) returns one row's collection (or row), loading it first if it is
//     not loaded: one statement for that row. Of in a loop over n rows is n statements, the N+1
//     problem; Load them all instead, or load them with the query. Through a unit-of-work
//     session, the session decides (loads once, or refuses after a Raise) and loads each row's field
//     at most once — also through a DB that wraps the session, if it has Unwrap() repo.DB.
//   - [Many.Load] (and [One.Load]) loads the field of every row given: one statement per 1,000
//     distinct keys (WHERE fk = ANY($1), the keys as one array parameter), all in one round
//     trip. It replaces what the fields held.
//   - [Many.Loaded] (and [One.Loaded]) reports whether a row's field holds a load.
//
// Neither Of nor Load takes an ordering: a collection comes in whatever order PostgreSQL returns
// its rows. For an ordered, filtered or limited load, use a query with loadopts.OrderBy, Where
// and LimitPerParent.
//
// # Not loaded, and loaded but empty
//
// A field tells by itself whether it was loaded, so that no row needs state beside its struct:
//
//   - A collection is loaded when it is not nil. A loaded collection with no rows is an empty,
//     non-nil slice ([]*Employee{}); nil means not loaded. So &Company{Name: "New"} has
//     employees not loaded, and &Company{Name: "New", Employees: []*Employee{}} has none.
//   - A to-one field is loaded when it is set, or when its foreign key is NULL (a [BelongsTo]
//     whose foreign key is in the row itself: an employee without a manager has Manager nil and
//     counts as loaded, and no query runs for it).
//
// A nil to-one field whose foreign key is not NULL, or a nil [HasOne] field (whose foreign key is
// in the other table), counts as not loaded, even right after a load that found no row: Of
// queries again, one statement each time. A unit-of-work session remembers which fields it has
// loaded, so through a session Of does not query again.
//
// # Paths
//
// [Then] joins relations into a [Path] whose levels chain by type: rel.Then(CompanyEmployees,
// EmployeeSkills) goes from companies through employees to skills, and a load option of package
// loadopts given that path loads both levels:
//
//	companies, err := Companies.Find(ctx, pool,
//		loadopts.With(CompanyEmployees, loadopts.Joined),
//		loadopts.With(rel.Then(CompanyEmployees, EmployeeSkills), loadopts.SelectIn))
//
// Paths nest: Then(Then(a, b), c) and Then(a, Then(b, c)) are the same three levels. A relation
// is itself a path of one level.
//
// # Filtering across relations
//
// [Many.Any], [Many.None] and [One.Has] are conditions on the parents, through the relation:
// EXISTS and NOT EXISTS subqueries, typed, with no table or column named in a string. They are
// repo.Preds of the parent, so they go into Find, Count, Exists, DeleteWhere and a load's
// loadopts.Where, and combine with repo.And, Or and Not; a path of relations is a condition
// inside a condition:
//
//	// companies with an employee earning 250 or more who lives in Oslo
//	Companies.Find(ctx, db, CompanyEmployees.Any(EmployeeSalary.Ge(250),
//		EmployeeAddresses.Any(AddressCity.Eq("Oslo"))))
//	// customers who never rented
//	Customers.Find(ctx, db, CustomerRentals.None())
//
// # Errors
//
// Errors from Of and Load name the relation ("rel: CompanyEmployees: …") and wrap their cause:
// [ErrNotLoaded] for a relation that Raise kept from loading, a *pgconn.PgError for what the server
// refused. A mistake of the caller's is an error matching repo.ErrInvalid that says which, and
// nothing is sent: a nil or zero relation (a *Many or *One not made by the constructors), a
// relation declared wrong (a nil accessor or key column, a nil Option, see above), a nil
// context, a nil DB, a nil row or parent. Then of a nil path is a path of no relations, which a
// load option and uow.NewModel refuse.
package rel
