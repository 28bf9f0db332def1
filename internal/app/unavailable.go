package app

import (
	"github.com/conciergehq/concierge/internal/respond"
	"github.com/conciergehq/concierge/internal/sqlstore"
)

// A database that cannot be reached answers 503 with Retry-After, not
// 500 (set before any server starts, for every app in the process).
func init() { respond.Unavailable = sqlstore.IsUnavailable }
