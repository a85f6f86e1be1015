package store

// DisableNotify makes s act as on a server without pg_notify: writes send
// no NOTIFY and the change feed polls (for the external tests).
func DisableNotify(s *Store) { s.pg.notify = false }
