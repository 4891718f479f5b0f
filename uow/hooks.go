package uow

import (
	"github.com/kinship-go/kinship/internal/track"
	"github.com/kinship-go/kinship/repo"
)

// hooks is the session as the packages below it see it (package internal/track): the same
// struct, with the methods that repo, the load planner and rel call while they work, none of
// them a user's to call.
type hooks Session

var (
	_ repo.DB       = (*Session)(nil)
	_ track.Session = (*hooks)(nil)
)

func init() {
	track.Register(func(db repo.DB) track.Session {
		if s, ok := db.(*Session); ok && s != nil {
			return (*hooks)(s)
		}
		return nil
	})
}
