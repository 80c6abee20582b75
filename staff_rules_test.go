package roster

import (
	"strings"
	"testing"
	"time"
)

func TestCheckLastOwner(t *testing.T) {
	owner := Staff{Role: RoleOwner, Active: true}
	demoted := Staff{Role: RoleAdmin, Active: true}
	inactive := Staff{Role: RoleOwner, Active: false}
	admin := Staff{Role: RoleAdmin, Active: true}
	for _, tt := range []struct {
		name          string
		before, after Staff
		others        int
		want          string // error code, "" for allowed
	}{
		{"last owner demoted", owner, demoted, 0, ECONFLICT},
		{"last owner deactivated", owner, inactive, 0, ECONFLICT},
		{"owner demoted, another remains", owner, demoted, 1, ""},
		{"owner deactivated, others remain", owner, inactive, 2, ""},
		{"last owner renamed", owner, Staff{Role: RoleOwner, Active: true, Name: "Ada"}, 0, ""},
		{"inactive owner demoted, no active owner", inactive, Staff{Role: RoleAdmin}, 0, ""},
		{"admin promoted", admin, owner, 0, ""},
		{"admin deactivated", admin, Staff{Role: RoleAdmin}, 0, ""},
	} {
		err := CheckLastOwner(&tt.before, &tt.after, tt.others)
		if got := codeOf(err); got != tt.want {
			t.Errorf("%s: %v, want code %q", tt.name, err, tt.want)
		}
	}
}

func TestCheckStaffPermission(t *testing.T) {
	ownerActor := Actor{StaffID: 1, Role: RoleOwner}
	adminActor := Actor{StaffID: 2, Role: RoleAdmin}
	cli := Actor{Label: "cli"}
	owner := &Staff{Role: RoleOwner, Active: true}
	admin := &Staff{Role: RoleAdmin, Active: true}
	for _, tt := range []struct {
		name          string
		actor         Actor
		before, after *Staff
		password      bool
		want          string
	}{
		{"admin creates an admin", adminActor, nil, admin, false, ""},
		{"admin creates an owner", adminActor, nil, owner, false, EFORBIDDEN},
		{"owner creates an owner", ownerActor, nil, owner, false, ""},
		{"the CLI creates an owner", cli, nil, owner, false, ""},
		{"admin promotes an admin to owner", adminActor, admin, owner, false, EFORBIDDEN},
		{"admin demotes an owner", adminActor, owner, admin, false, EFORBIDDEN},
		{"admin deactivates an owner", adminActor, owner, &Staff{Role: RoleOwner}, false, EFORBIDDEN},
		{"admin renames an owner", adminActor, owner, &Staff{Role: RoleOwner, Active: true, Name: "Ada"}, false, ""},
		{"admin deactivates an admin", adminActor, admin, &Staff{Role: RoleAdmin}, false, ""},
		{"owner demotes an owner", ownerActor, owner, admin, false, ""},
		{"admin sets an owner's password", adminActor, owner, owner, true, EFORBIDDEN},
		{"owner sets an owner's password", ownerActor, owner, owner, true, ""},
		{"admin sets an admin's password", adminActor, admin, admin, true, ""},
	} {
		err := CheckStaffPermission(tt.actor, tt.before, tt.after, tt.password)
		if got := codeOf(err); got != tt.want {
			t.Errorf("%s: %v, want code %q", tt.name, err, tt.want)
		}
	}
}

func codeOf(err error) string {
	if err == nil {
		return ""
	}
	return ErrorCode(err)
}

func TestCheckPasswordChange(t *testing.T) {
	const cur, next = "the current password", "a brand new password"
	for _, tt := range []struct {
		name      string
		currentOK bool
		next      string
		want      map[string]string // field: part of its message
	}{
		{"good", true, next, nil},
		{"wrong current", false, next, map[string]string{"current_password": "is not your current password"}},
		{"too short", true, "short", map[string]string{"password": "at least 12 characters"}},
		{"wrong current and too short", false, "short", map[string]string{"current_password": "is not", "password": "at least 12"}},
		{"the same", true, cur, map[string]string{"password": "is the same as your current password"}},
		// Whether it is the same is not said to someone who does not know it.
		{"wrong current, same as what was given", false, cur, map[string]string{"current_password": "is not"}},
	} {
		err := CheckPasswordChange(tt.currentOK, cur, tt.next, "ann@example.com")
		fields := ErrorFields(err)
		if (err == nil) != (tt.want == nil) || len(fields) != len(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
			continue
		}
		for f, msg := range tt.want {
			if !strings.Contains(fields[f], msg) {
				t.Errorf("%s: %s %q, want %q", tt.name, f, fields[f], msg)
			}
		}
	}
}

func TestSession_Expired(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name          string
		created, seen time.Duration // before now
		want          bool
	}{
		{"fresh", 0, 0, false},
		{"idle just under the limit", time.Hour, SessionIdleTimeout, false},
		{"idle too long", 3 * time.Hour, SessionIdleTimeout + time.Second, true},
		{"busy but too old", SessionAbsoluteTimeout + time.Second, time.Minute, true},
		{"busy, at the absolute limit", SessionAbsoluteTimeout, time.Minute, false},
	} {
		s := &Session{CreatedAt: now.Add(-tt.created), LastSeenAt: now.Add(-tt.seen)}
		if got := s.Expired(now); got != tt.want {
			t.Errorf("%s: %t, want %t", tt.name, got, tt.want)
		}
	}
}
