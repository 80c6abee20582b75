package web

// RoutePatterns returns the patterns s registered, in order, so that tests
// can walk the route table instead of a hand-written copy of it.
func (s *Server) RoutePatterns() []string { return s.patterns }
