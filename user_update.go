package roster

import "time"

// Apply returns a copy of before with upd's values set, normalised and
// validated at now: the user an edit makes. A value for a field that is
// not one, is read-only, is a counter (changed through its ledger), is a
// password (set through Password) or has the wrong type is the field's
// error (EINVALID). A change of the newsletter records itself as
// StampNewsletter says, the way upd.Via.
func (upd UserUpdate) Apply(before *User, reg *Registry, now time.Time) (*User, error) {
	u := *before
	u.Custom = make(map[string]any, len(before.Custom))
	for k, v := range before.Custom {
		u.Custom[k] = v
	}
	fe := FieldErrors{}
	touched := map[string]bool{}
	for key, v := range upd.Values {
		f, ok := reg.Field(key)
		switch {
		case !ok:
			fe.Add(key, "is not a field")
		case f.ReadOnly:
			fe.Add(key, "is read-only")
		case f.Counter:
			fe.Add(key, CounterEditMessage)
		case f.Type == TypePassword:
			fe.Add(key, "is set through Password")
		case !u.Set(f, v):
			fe.Add(key, "has the wrong type")
		default:
			touched[key] = true
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	StampNewsletter(before, &u, upd.Via, now)
	u.Normalize()
	if err := u.Validate(reg, now, false, touched); err != nil {
		return nil, err
	}
	return &u, nil
}

// CounterEditMessage is why an edit may not set a counter field.
const CounterEditMessage = "is changed through the points ledger: add or remove points with a reason"
