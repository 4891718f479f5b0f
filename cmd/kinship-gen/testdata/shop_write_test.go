package db

// Copied into the package kinship-gen writes for testdata/shop.sql by TestBuildAndLoad: a unit of
// work through the generated declarations writes a graph that crosses every shape of the schema
// (a generated key into a composite key, a link table, the stores ↔ staff cycle, defaults read
// back), and the generated cascades do what the constraints say.

import (
	"context"
	"errors"
	"math/big"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kinship-go/kinship/loadopts"
	"github.com/kinship-go/kinship/rel"
	"github.com/kinship-go/kinship/uow"
)

func num(n int64) pgtype.Numeric { return pgtype.Numeric{Int: big.NewInt(n), Valid: true} }

func TestWrite(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	dee := &Customer{Email: "dee@example.com", FullName: "Dee"}
	order := &Order{Quantity: 2, OrderLines: []*OrderLine{{LineNo: 1, ProductSku: "A-1", Amount: num(5)}, {LineNo: 2, ProductSku: "B-2", Amount: num(7)}}}
	dee.Orders = []*Order{order}
	west := &Store{Name: "West"}
	eve := &Staff{Name: "Eve", Store: west}
	west.Manager = eve
	lamp := &Product{Sku: "D-4", Title: "Desk lamp", Tags: []*Tag{{Label: "new"}}}
	err = uow.Run(ctx, pool, Model, func(s *uow.Session) error {
		if err := uow.Add(s, Customers, dee); err != nil {
			return err
		}
		if err := uow.Add(s, Stores, west); err != nil {
			return err
		}
		return uow.Add(s, Products, lamp)
	})
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case order.CustomerID != dee.CustomerID || order.OrderLines[1].OrderID != order.OrderID:
		t.Errorf("keys: order %+v, line %+v", order, order.OrderLines[1])
	case order.Status != OrderStatusNew || order.PlacedOn.IsZero() || dee.CreatedAt.IsZero() || !lamp.Price.Valid:
		t.Errorf("defaults not read back: %+v, %+v, %+v", order, dee, lamp)
	case eve.Active == nil || !*eve.Active:
		t.Errorf("DEFAULT true not read back: %+v", eve)
	case eve.StoreID != west.StoreID || west.ManagerID == nil || *west.ManagerID != eve.StaffID:
		t.Errorf("cycle: store %+v, staff %+v", west, eve)
	case lamp.Search.String() == "":
		t.Errorf("generated tsvector not read back: %+v", lamp)
	}

	// Read it back through the relations.
	got, err := Customers.Get(ctx, pool, dee.CustomerID, loadopts.With(CustomerOrders, loadopts.SelectIn), loadopts.With(rel.Then(CustomerOrders, OrderOrderLines), loadopts.Joined))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Orders) != 1 || len(got.Orders[0].OrderLines) != 2 || got.Version != 0 {
		t.Fatalf("read back: %+v", got)
	}

	// ON DELETE RESTRICT on orders.customer_id: refused, before any SQL.
	err = uow.Run(ctx, pool, Model, func(s *uow.Session) error {
		c, err := Customers.Get(ctx, s, dee.CustomerID, loadopts.With(CustomerOrders, loadopts.SelectIn))
		if err != nil {
			return err
		}
		return uow.Delete(s, Customers, c)
	})
	if !errors.Is(err, uow.ErrRestricted) {
		t.Fatalf("deleting a customer with orders: %v; want uow.ErrRestricted", err)
	}

	// ON DELETE CASCADE on order_lines and payments: deleting the order deletes them. Editing
	// the customer bumps its version.
	err = uow.Run(ctx, pool, Model, func(s *uow.Session) error {
		o, err := Orders.Get(ctx, s, order.OrderID)
		if err != nil {
			return err
		}
		c, err := Customers.Get(ctx, s, dee.CustomerID)
		if err != nil {
			return err
		}
		c.FullName = "Dee Dee"
		return uow.Delete(s, Orders, o)
	})
	if err != nil {
		t.Fatal(err)
	}
	var lines int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM order_lines WHERE order_id = $1`, order.OrderID).Scan(&lines); err != nil || lines != 0 {
		t.Errorf("order lines left: %d, %v", lines, err)
	}
	if c, err := Customers.Get(ctx, pool, dee.CustomerID); err != nil || c.Version != 1 || c.FullName != "Dee Dee" {
		t.Errorf("after the edit: %+v, %v", c, err)
	}
}
