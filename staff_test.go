package roster

import "testing"

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
		want          string
	}{
		{"admin creates an admin", adminActor, nil, admin, ""},
		{"admin creates an owner", adminActor, nil, owner, EFORBIDDEN},
		{"owner creates an owner", ownerActor, nil, owner, ""},
		{"the CLI creates an owner", cli, nil, owner, ""},
		{"admin promotes an admin to owner", adminActor, admin, owner, EFORBIDDEN},
		{"admin demotes an owner", adminActor, owner, admin, EFORBIDDEN},
		{"admin deactivates an owner", adminActor, owner, &Staff{Role: RoleOwner}, EFORBIDDEN},
		{"admin renames an owner", adminActor, owner, &Staff{Role: RoleOwner, Active: true, Name: "Ada"}, ""},
		{"admin deactivates an admin", adminActor, admin, &Staff{Role: RoleAdmin}, ""},
		{"owner demotes an owner", ownerActor, owner, admin, ""},
	} {
		err := CheckStaffPermission(tt.actor, tt.before, tt.after)
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
