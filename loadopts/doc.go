// Package loadopts loads relations (package rel) with a query: which relations and paths, with
// which strategy, and which of their rows, in what order, how many per parent.
//
// A load option is an option of the query of the parents, passed to Find or Get of their
// [repo.Repo]:
//
//	companies, err := Companies.Find(ctx, pool, CompanyName.Asc(), repo.Limit[Company](20),
//		loadopts.With(CompanyEmployees, loadopts.SelectIn,
//			loadopts.Where(EmployeeSalary.Ge(100)), loadopts.OrderBy(EmployeeName.Asc())),
//		loadopts.With(rel.Then(CompanyEmployees, EmployeeSkills), loadopts.Pipelined),
//		loadopts.With(CompanyProfile, loadopts.Joined))
//
// The query returns its parents with the relations loaded: each collection a non-nil slice
// (empty where a parent has no rows), each to-one field set where there is a row. [With] is the
// one function; the rest of the package is the strategies and the options that shape a load.
//
// # Strategies
//
// Statements and round trips, for a query of parents that loads one relation (1 level), or a path
// of n relations (n levels) all loaded with the same strategy; b is the number of batches of keys
// of a level, ⌈distinct keys / 1,000⌉ by default (see [BatchSize]):
//
//	              statements                 round trips
//	              1 level   n levels         1 level   n levels
//	Joined        1         1                1         1
//	SelectIn      1 + b     1 + b₁ + … + bₙ  2         1 + n
//	Subquery      2         1 + n            2         1 + n
//	Pipelined     2         1 + n            1         1
//	Lazy          1         —                1         —         then Of: 1 statement per parent
//	Raise         1         —                1         —         then Of: rel.ErrNotLoaded, or see below
//	NoLoad        1         —                1         —
//
// SelectIn sends nothing for a level with no keys, and Subquery nothing for a level below one
// that returned no rows; Pipelined cannot know in advance and always sends its statements. A
// level below one that loads nothing (Lazy, Raise, NoLoad) is an error.
//
// The SQL below is what the tracer of package repo logs for companies and their employees, the
// companies' query being SELECT id, name FROM companies ORDER BY id LIMIT $1 (identifiers are
// quoted in the real text).
//
// [Joined] adds each relation to the parents' statement as a LEFT JOIN, and reads the parents,
// de-duplicated by primary key, and their rows from one result:
//
//	SELECT p0.id, p0.name, j1.id, j1.name, j1.company_id, …
//	FROM (SELECT id, name FROM companies ORDER BY id LIMIT $1) AS p0
//	LEFT JOIN employees AS j1 ON j1.company_id = p0.id
//	ORDER BY p0.id
//
// The parents' query is wrapped in a subquery, so that its LIMIT and OFFSET count parents, not
// joined rows; its ORDER BY is repeated outside. Levels below join onto the level above (j2 onto
// j1, …), a many-to-many relation through its link table: LEFT JOIN (skills AS j2 JOIN
// employee_skills AS j2l ON j2l.skill_id = j2.id) ON j2l.employee_id = j1.id. One statement at
// any depth, but every parent's columns are repeated for each of its rows, and sibling
// collections multiply: a company joined with its employees and its employees' skills comes back
// once per (employee, skill) pair. Pick Joined for to-one relations (BelongsTo, HasOne) and for
// small collections.
//
// [SelectIn] sends the parents' query, then, once their rows are read, one statement per batch of
// distinct parent keys, all batches in one round trip (a pgx batch). The keys travel as one array
// parameter, so there is no ceiling of 65,535 bind parameters:
//
//	SELECT id, name FROM companies ORDER BY id LIMIT $1
//	SELECT c0.id, c0.name, c0.company_id, … FROM employees AS c0 WHERE c0.company_id = ANY($1)
//
// A many-to-many level reads the link table's owner column beside the rows: SELECT c0.id,
// c0.name, l0.employee_id AS kinship_link FROM skills AS c0 JOIN employee_skills AS l0 ON
// l0.skill_id = c0.id WHERE l0.employee_id = ANY($1). Each level is one more round trip. Pick
// SelectIn as the default for collections: each row is read once, and the statements are simple
// for the planner.
//
// [Subquery] sends, once the parents are read, one statement that repeats the parents' query
// instead of listing their keys:
//
//	SELECT c0.id, c0.name, c0.company_id, … FROM employees AS c0
//	WHERE c0.company_id = ANY(ARRAY(SELECT p.id FROM (SELECT id, name FROM companies ORDER BY id LIMIT $1) AS p))
//
// The level below nests this statement in turn, and so on: the database runs the parents' query
// again at every level. (= ANY(ARRAY(…)) rather than IN (…): PostgreSQL computes the keys once
// and probes the foreign key's index with them, as for SelectIn; IN (…) planned a semi-join that
// took twice as long on the benchmarks' data.) Pick Subquery when the list of parent keys would be huge (tens of
// thousands of parents, which SelectIn reads and sends back) and the parents' query is cheap to
// run again.
//
// [Pipelined] sends Subquery's statements, but with the parents' query in one pgx batch: the
// parents and every Pipelined level below them in one round trip, whatever the depth. Pick it when
// latency dominates (a database far away, a path several levels deep), at the price of running
// the parents' query once more per level.
//
// Strategies mix level by level: a Joined level is joined into the statement of the level above
// it, and a Pipelined level is sent in the same round trip as the level above it (the parents'
// query, or the statements of a SelectIn or Subquery level).
//
// [Lazy] does not load the relation with the query; the relation's Of loads it on first access,
// one statement per parent (in a unit-of-work session, once per parent and session).
//
// [Raise] does not load the relation either, and keeps it from loading silently later: in
// production code paths it turns an N+1 loop into an error, [rel.ErrNotLoaded], with nothing
// sent. Through a unit-of-work session, the session remembers the query's Raise, and Of on the
// rows it returned is ErrNotLoaded. Outside a session, a query's Raise cannot mark the plain
// structs it returns, and Of goes by the relation's declared strategy: it refuses only where the
// relation is declared with rel.DefaultLoad(rel.Raise).
//
// [NoLoad] does not load the relation, and sets each parent's collection to an empty slice, which
// counts as loaded: Of returns it without a query. A to-one field is set to nil, which counts as
// loaded through a session, and outside one only where the foreign key is NULL (see package rel).
//
// # Shaping a load
//
// The options of With apply to the rows of the last level of its path, and only with a strategy
// that loads (Joined, SelectIn, Subquery, Pipelined).
//
// [Where] loads only the rows that match. It is ANDed into the statement's WHERE, or, for Joined,
// the joined table becomes a subquery filtered by it (LEFT JOIN (SELECT … WHERE …) AS j1 ON …),
// so that parents without a matching row still come back, with an empty collection, and an
// unqualified column of a repo.Raw condition can only mean the row's own.
//
// [OrderBy] orders each parent's rows: the statement's ORDER BY, or for Joined, the joined
// statement's, after the parents' own ordering. Without it, rows come in whatever order
// PostgreSQL returns them.
//
// [LimitPerParent] loads the first n rows of each parent by its orderings, then by primary key, so
// that ties are cut the same way every time: the top n of each. It is computed in the database;
// for SelectIn, Subquery and Pipelined with row_number():
//
//	SELECT c0.id, c0.name, … FROM (
//		SELECT c0.id, c0.name, …,
//			row_number() OVER (PARTITION BY c0.company_id ORDER BY c0.salary DESC, c0.id) AS kinship_rn
//		FROM employees AS c0 WHERE c0.company_id = ANY($1)) AS c0
//	WHERE c0.kinship_rn <= $2 ORDER BY c0.kinship_rn
//
// and for Joined with a LATERAL subquery for each parent:
//
//	LEFT JOIN LATERAL (SELECT j1.id, j1.name, … FROM employees AS j1
//		WHERE j1.company_id = p0.id ORDER BY j1.salary DESC, j1.id LIMIT $2) AS j1 ON TRUE
//
// [BatchSize] sets how many parent keys one SelectIn statement carries (1,000 without it). Every
// batch is one more statement, but all go in one round trip; a larger batch means fewer
// statements with larger arrays. It applies to SelectIn alone.
//
// # Loading after the fact
//
// [Load] loads a relation (or a path) for parents already in memory with the same options, so
// that "the last 5 rentals of these customers" is computed in the database rather than trimmed
// in Go:
//
//	err := loadopts.Load(ctx, db, CustomerRentals, customers,
//		loadopts.LimitPerParent(5, RentalDate.Desc()))
//
// Its relation loads select-in: one statement per batch of parent keys, in one round trip.
// rel's own Load and Of take no options; they load the whole relation.
//
// # Paths and levels
//
// With takes a relation or a path of relations made with rel.Then. Its strategy and options are
// for the last level; a level above it loads as the query's own With for that level says, in
// whatever order the options come, or else with its relation's default strategy
// (rel.DefaultLoad) if that is an eager one, or else with SelectIn. Options whose paths share
// levels load those levels once:
//
//	companies, err := Companies.Find(ctx, pool,
//		loadopts.With(rel.Then(CompanyEmployees, EmployeeAddresses), loadopts.SelectIn),
//		loadopts.With(rel.Then(CompanyEmployees, EmployeeSkills), loadopts.Pipelined),
//		loadopts.With(CompanyEmployees, loadopts.Joined)) // the first level, Joined: once
//
// Two With for the same level: the later one wins.
//
// # Mistakes
//
// A query's load options are checked before anything is sent; a mistake is the query's error,
// matching repo.ErrInvalid, and nothing is sent. The mistakes: a nil relation or path (or a path
// made by rel.Then of one), an unknown strategy, options given with a strategy that loads
// nothing, BatchSize with another strategy than SelectIn, a limit or batch size that is not
// positive, a nil option, an ordering of nothing (the zero repo.Order, or one of a nil column),
// a level below one that loads nothing, a relation declared wrong (see package rel), a condition
// on a nil column or a malformed repo.Raw inside Where.
//
// [repo.Repo.All] refuses load options (its error matches repo.ErrInvalid, and nothing is sent):
// while it streams, the connection is busy and cannot load relations. Use Find, or the relation's
// Load on each batch of rows.
//
// # Consistency and identity
//
// Joined reads everything in one statement, so from one snapshot. The other strategies send
// several statements, each of which, under PostgreSQL's default READ COMMITTED, sees the data as
// of its own start; pass a pgx.Tx at REPEATABLE READ to load from one snapshot. Subquery and
// Pipelined run the parents' query again: give a query with LIMIT or OFFSET an ORDER BY that
// cannot tie, so that it selects the same parents each time.
//
// A row that comes back more than once within a statement (a parent of several joined rows, a
// skill that two employees share) is read into one instance. Through a unit-of-work session,
// every row is the session's one instance for its primary key.
package loadopts
