package uow_test

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/kinship-go/kinship/internal/pgtest"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/repo"
	"github.com/kinship-go/kinship/uow"
	"github.com/stretchr/testify/require"
)

// A rental shop with the shapes of the DVD-rental sample schema: DEFAULT-heavy customers, films
// with an enum, a domain, a numeric with a default and a generated column, rentals that
// RESTRICT deletes, and payments in a table partitioned by month, keyed by (date, serial).

type Rating string

type Film struct {
	ID       int64
	Title    string
	Year     *int32  // domain year
	Rating   *Rating // enum mpaa_rating DEFAULT 'G'
	Rate     pgtype.Numeric
	Fulltext pgtype.TSVector // GENERATED ALWAYS AS … STORED
	Updated  time.Time
}

type Customer struct {
	ID           int64
	Name         string
	Active       *bool     // DEFAULT true
	Created      time.Time // DEFAULT '2006-02-14'
	Rentals      []*Rental
	ShopPayments []*ShopPayment
}

type Rental struct {
	ID         int64
	CustomerID int64
	FilmID     int64
	At         time.Time
}

type ShopPayment struct {
	ID         int64
	Date       time.Time
	CustomerID int64
	Amount     pgtype.Numeric
}

var (
	filmID       = repo.Serial("film_id", func(f *Film) *int64 { return &f.ID })
	filmTitle    = repo.Col("title", func(f *Film) *string { return &f.Title })
	filmYear     = repo.Nullable("release_year", func(f *Film) **int32 { return &f.Year })
	filmRating   = repo.Nullable("rating", func(f *Film) **Rating { return &f.Rating }).Default()
	filmRate     = repo.Numeric("rental_rate", func(f *Film) *pgtype.Numeric { return &f.Rate }).Default()
	filmFulltext = repo.ColFunc("fulltext", func(f *Film) *pgtype.TSVector { return &f.Fulltext },
		func(a, b pgtype.TSVector) bool { return a.String() == b.String() }, nil).ReadOnly()
	filmUpdated = repo.Col("last_update", func(f *Film) *time.Time { return &f.Updated }).ReadOnly()
	Films       = repo.MustNew("film", filmID, filmTitle, filmYear, filmRating, filmRate, filmFulltext, filmUpdated)

	customerID      = repo.Serial("customer_id", func(c *Customer) *int64 { return &c.ID })
	customerName    = repo.Col("first_name", func(c *Customer) *string { return &c.Name })
	customerActive  = repo.Nullable("activebool", func(c *Customer) **bool { return &c.Active }).Default()
	customerCreated = repo.Col("create_date", func(c *Customer) *time.Time { return &c.Created }).Default()
	Customers       = repo.MustNew("customer", customerID, customerName, customerActive, customerCreated)

	rentalID       = repo.Serial("rental_id", func(r *Rental) *int64 { return &r.ID })
	rentalCustomer = repo.Col("customer_id", func(r *Rental) *int64 { return &r.CustomerID })
	rentalFilm     = repo.Col("film_id", func(r *Rental) *int64 { return &r.FilmID })
	rentalAt       = repo.Col("rental_date", func(r *Rental) *time.Time { return &r.At })
	Rentals        = repo.MustNew("rental", rentalID, rentalCustomer, rentalFilm, rentalAt)

	paymentID       = repo.Serial("payment_id", func(p *ShopPayment) *int64 { return &p.ID })
	paymentDate     = repo.Key("payment_date", func(p *ShopPayment) *time.Time { return &p.Date })
	paymentCustomer = repo.Col("customer_id", func(p *ShopPayment) *int64 { return &p.CustomerID })
	paymentAmount   = repo.Numeric("amount", func(p *ShopPayment) *pgtype.Numeric { return &p.Amount })
	ShopPayments    = repo.MustNew("payment", paymentID, paymentDate, paymentCustomer, paymentAmount)

	CustomerRentals  = rel.HasMany(customerID, rentalCustomer, func(c *Customer) *[]*Rental { return &c.Rentals }, rel.Cascade(rel.SaveUpdate, rel.Restrict))
	CustomerPayments = rel.HasMany(customerID, paymentCustomer, func(c *Customer) *[]*ShopPayment { return &c.ShopPayments }, rel.Cascade(rel.SaveUpdate, rel.Restrict))
	FilmRentals      = rel.HasMany(filmID, rentalFilm, func(*Film) *[]*Rental { return new([]*Rental) }, rel.Cascade(rel.SaveUpdate, rel.Restrict))
	ShopModel        = uow.MustModel(CustomerRentals, CustomerPayments)
)

const shopDDL = `
CREATE DOMAIN year AS integer CHECK (VALUE BETWEEN 1901 AND 2155);
CREATE TYPE mpaa_rating AS ENUM ('G', 'PG', 'PG-13', 'R', 'NC-17');
CREATE TABLE film (
	film_id serial PRIMARY KEY,
	title text NOT NULL,
	release_year year,
	rating mpaa_rating DEFAULT 'G',
	rental_rate numeric(4,2) NOT NULL DEFAULT 4.99,
	fulltext tsvector GENERATED ALWAYS AS (to_tsvector('english', title)) STORED,
	last_update timestamptz NOT NULL DEFAULT now());
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.last_update := clock_timestamp(); RETURN NEW; END $$;
CREATE TRIGGER film_touch BEFORE UPDATE ON film FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TABLE customer (
	customer_id serial PRIMARY KEY,
	first_name text NOT NULL,
	activebool boolean NOT NULL DEFAULT true,
	create_date date NOT NULL DEFAULT '2006-02-14');
CREATE TABLE rental (
	rental_id serial PRIMARY KEY,
	customer_id integer NOT NULL REFERENCES customer ON DELETE RESTRICT,
	film_id integer NOT NULL REFERENCES film ON DELETE RESTRICT,
	rental_date timestamptz NOT NULL);
CREATE INDEX ON rental (customer_id);
CREATE INDEX ON rental (film_id);
CREATE TABLE payment (
	payment_id serial,
	payment_date date NOT NULL,
	customer_id integer NOT NULL REFERENCES customer ON DELETE RESTRICT,
	amount numeric(5,2) NOT NULL,
	PRIMARY KEY (payment_date, payment_id)) PARTITION BY RANGE (payment_date);
CREATE TABLE payment_2007_01 PARTITION OF payment FOR VALUES FROM ('2007-01-01') TO ('2007-02-01');
CREATE TABLE payment_2007_02 PARTITION OF payment FOR VALUES FROM ('2007-02-01') TO ('2007-03-01');
CREATE INDEX ON payment (customer_id);
`

func dollars(cents int64) pgtype.Numeric {
	return pgtype.Numeric{Int: big.NewInt(cents), Exp: -2, Valid: true}
}

func day(m time.Month, d int) time.Time { return time.Date(2007, m, d, 0, 0, 0, 0, time.UTC) }

func TestRentalShop(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, tr := pgtest.NewTracedPool(t, shopDDL)
	require.NoError(t, ShopModel.Verify(ctx, pool))

	// Films: the database fills rating and rate, computes fulltext, stamps last_update.
	pg := Rating("PG")
	year := int32(1999)
	alien, brave := &Film{Title: "Alien Dreams"}, &Film{Title: "Brave Hearts", Year: &year, Rating: &pg, Rate: dollars(299)}
	require.NoError(t, Films.Insert(ctx, pool, alien, brave))
	require.Equal(t, Rating("G"), *alien.Rating)
	require.True(t, repo.NumericEqual(dollars(499), alien.Rate), "DEFAULT 4.99")
	require.Contains(t, alien.Fulltext.String(), "alien")
	require.False(t, alien.Updated.IsZero())
	require.NoError(t, Films.Verify(ctx, pool))

	// Customers with rentals and payments, one flush: defaults read back, payments routed to
	// their month's partition, every key generated.
	ann := &Customer{Name: "Ann",
		Rentals:      []*Rental{{FilmID: alien.ID, At: day(1, 5)}, {FilmID: brave.ID, At: day(2, 9)}},
		ShopPayments: []*ShopPayment{{Date: day(1, 5), Amount: dollars(499)}, {Date: day(2, 9), Amount: dollars(299)}}}
	bob := &Customer{Name: "Bob", Rentals: []*Rental{{FilmID: alien.ID, At: day(2, 1)}}, ShopPayments: []*ShopPayment{{Date: day(2, 1), Amount: dollars(499)}}}
	require.NoError(t, uow.Run(ctx, pool, ShopModel, func(s *uow.Session) error {
		if err := uow.Add(s, Customers, ann, bob); err != nil {
			return err
		}
		if err := s.Flush(ctx); err != nil {
			return err
		}
		n := tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
		require.Zero(t, n.Statements, "what the database filled in is the snapshot")
		return nil
	}))
	require.True(t, *ann.Active)
	require.True(t, ann.Created.Equal(time.Date(2006, 2, 14, 0, 0, 0, 0, time.UTC)), "DEFAULT create_date, not 0001-01-01: %v", ann.Created)
	var inFeb int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM payment_2007_02`).Scan(&inFeb))
	require.Equal(t, int64(2), inFeb)
	p, err := ShopPayments.Get(ctx, pool, []any{ann.ShopPayments[0].ID, day(1, 5)})
	require.NoError(t, err)
	require.Equal(t, ann.ID, p.CustomerID)

	// Who rented Brave Hearts? A typed filter across the relation.
	who, err := Customers.Find(ctx, pool, CustomerRentals.Any(rentalFilm.Eq(brave.ID)))
	require.NoError(t, err)
	require.Len(t, who, 1)
	require.Equal(t, "Ann", who[0].Name)

	// Each customer's last rental, computed in the database.
	cs, err := Customers.Find(ctx, pool, customerID.Asc())
	require.NoError(t, err)
	require.NoError(t, loadopts.Load(ctx, pool, CustomerRentals, cs, loadopts.LimitPerParent(1, rentalAt.Desc())))
	require.Equal(t, brave.ID, cs[0].Rentals[0].FilmID)
	require.Len(t, cs[1].Rentals, 1)

	// A report: takings per month.
	type month struct {
		Month time.Time
		Total pgtype.Numeric
	}
	months := repo.MustResult(
		repo.Col("month", func(m *month) *time.Time { return &m.Month }),
		repo.Numeric("total", func(m *month) *pgtype.Numeric { return &m.Total }))
	takings, err := months.Query(ctx, pool, `SELECT date_trunc('month', payment_date)::date AS month, sum(amount) AS total
		FROM `+ShopPayments.TableSQL()+` GROUP BY 1 ORDER BY 1`)
	require.NoError(t, err)
	require.Len(t, takings, 2)
	require.True(t, repo.NumericEqual(dollars(798), takings[1].Total))

	// Partial rows: deactivate Bob reading only his name; his create_date stays.
	require.NoError(t, uow.Run(ctx, pool, ShopModel, func(s *uow.Session) error {
		b, err := Customers.Get(ctx, s, bob.ID, repo.Only(customerName, customerActive))
		if err != nil {
			return err
		}
		no := false
		b.Active = &no
		return nil
	}))
	got, err := Customers.Get(ctx, pool, bob.ID)
	require.NoError(t, err)
	require.False(t, *got.Active)
	require.True(t, got.Created.Equal(ann.Created), "never written over with the zero date")

	// A rate set to an equal value writes nothing; a new rate is written, last_update read back.
	err = uow.Run(ctx, pool, uow.MustModel(FilmRentals), func(s *uow.Session) error {
		f, err := Films.Get(ctx, s, alien.ID)
		if err != nil {
			return err
		}
		f.Rate = pgtype.Numeric{Int: big.NewInt(4990), Exp: -3, Valid: true}
		n := tr.Count(func() { require.NoError(t, s.Flush(ctx)) })
		require.Zero(t, n.Statements, "4.990 is 4.99")
		was := f.Updated
		f.Rate = dollars(399)
		require.NoError(t, s.Flush(ctx))
		require.True(t, f.Updated.After(was))
		// A film that was rented cannot go: its rentals are not loaded, so the database says
		// so, and the transaction is over.
		return uow.Delete(s, Films, f)
	})
	require.ErrorIs(t, err, uow.ErrRestricted)

	// Nor can a customer with payments.
	err = uow.Run(ctx, pool, ShopModel, func(s *uow.Session) error {
		c, err := Customers.Get(ctx, s, ann.ID, loadopts.With(CustomerPayments, loadopts.SelectIn))
		if err != nil {
			return err
		}
		return uow.Delete(s, Customers, c)
	})
	require.ErrorIs(t, err, uow.ErrRestricted)
	require.ErrorContains(t, err, "payment rows")
}
