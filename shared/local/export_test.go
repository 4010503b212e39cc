package local

// DBEndpoint is the stack's dynalite endpoint, for tests that count what
// is stored.
func (s *Stack) DBEndpoint() string { return s.db.Endpoint() }
