package sqldb

// SetAfterPasswordCheck makes s call f when a sign-in's password matched,
// before the sign-in writes: a test makes a change land exactly there.
func SetAfterPasswordCheck(s *UserService, f func()) { s.afterPasswordCheck = f }
