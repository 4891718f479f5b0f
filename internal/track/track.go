// Package track is the one protocol between a unit-of-work session and the packages that work
// under it: repo resolves the rows it reads and reports the rows it writes (the [engine.Identity]
// part), the load planner reports the fields it fills, and rel asks how to reach a relation
// that is not loaded. Package uow implements [Session] and registers how to find it; the others
// find it with [Of], which follows wrappers: a DB with a method Unwrap() repo.DB (a decorator
// for metrics or logging, say) is searched through, so that a wrapped session keeps its
// identity map, Raise and fix-up.
//
// Calls run one way: the session's hooks are called by the packages below it, and the session
// is never imported by them.
package track

import (
	"context"

	"github.com/kinship-go/kinship/internal/engine"
	"github.com/kinship-go/kinship/internal/relation"
	"github.com/kinship-go/kinship/repo"
)

// Session is what a unit-of-work session does for the packages below it. r is a *repo.Repo[T];
// rows and parents are *T.
type Session interface {
	engine.Identity
	// LoadStart tells that a load of the relations rels begins, before it touches any field or
	// sends anything: its statements follow, then LoadDone or LoadFailed. An error stops the
	// load before it starts.
	LoadStart(ctx context.Context, rels []relation.Relation) error
	// Filled tells that a load set parent's field of r: what it holds is its clean state.
	Filled(r relation.Relation, parent any)
	// Raised tells that a query loaded parent with Raise for r: reaching r must fail.
	Raised(r relation.Relation, parent any)
	// LoadDone tells that a load is over: the fields Filled told of hold what it loaded.
	LoadDone()
	// LoadFailed tells that a load stopped on an error: the fields Filled told of may hold part
	// of what it was loading.
	LoadFailed()
	// Access decides how r, not loaded on parent, is reached: loaded once (Lazy), or refused.
	Access(ctx context.Context, r relation.Relation, parent any) error
}

var find func(db repo.DB) Session

// Register is called once, by package uow: f(db) returns the session db is, nil if it is not one.
func Register(f func(db repo.DB) Session) { find = f }

// maxUnwrap bounds the search through wrappers, against an Unwrap that returns its receiver.
const maxUnwrap = 100

// Of returns the session db is or wraps (through Unwrap() repo.DB methods), nil if none.
func Of(db repo.DB) Session {
	if find == nil {
		return nil
	}
	for range maxUnwrap {
		if db == nil {
			return nil
		}
		if s := find(db); s != nil {
			return s
		}
		u, ok := db.(interface{ Unwrap() repo.DB })
		if !ok {
			return nil
		}
		db = u.Unwrap()
	}
	return nil
}

func init() {
	engine.RegisterIdentity(func(db engine.DB) engine.Identity {
		if s := Of(db); s != nil {
			return s
		}
		return nil
	})
}
