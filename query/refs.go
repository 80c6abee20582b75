package query

// Filters on tags, groups, smart types and segments name things of the
// catalog (Registry.Catalog). Compile resolves those names to ids, so that
// the index and the store only ever see ids:
//
//	tags:vip        every tag named vip (names may repeat), any case
//	tags:#12        the tag with id 12
//	tags:vip+beta   some tag named vip and some tag named beta
//	groups:Gold     the group called Gold (or groups:#3)
//	smart_type:Gold users whose first group on the smart type list is Gold
//	smart_type:none users in none of the groups on the list
//	segment:Churn   the members of the saved segment Churn

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"roster"
)

// SegPlan is a compiled segment: the users Plan matches (everyone when
// Plan is nil and nothing is included), with the members of Include, less
// those of Exclude; then with the users Added, less those Removed. Include
// and Exclude hold groups and segment predicates, Added and Removed
// predicates on the user id (at most one each).
type SegPlan struct {
	ID      int64
	Name    string
	Plan    *Plan
	Reg     *roster.Registry // the fields Plan's words search
	Include []Pred
	Exclude []Pred
	Added   []Pred
	Removed []Pred
}

var refIDRE = regexp.MustCompile(`^#([0-9]{1,18})$`)

// refIDs resolves a value typed for tags, groups or smart_type to ids.
func refIDs(f roster.Field, cat *roster.Catalog, v string) []string {
	v = strings.TrimSpace(v)
	if m := refIDRE.FindStringSubmatch(v); m != nil {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		return []string{roster.RefValue(id)}
	}
	if cat == nil {
		return nil
	}
	want := Fold(v)
	var out []string
	if f.Type == roster.TypeTags {
		for _, t := range cat.Tags {
			if Fold(t.Name) == want {
				out = append(out, roster.RefValue(t.ID))
			}
		}
		return out
	}
	for _, g := range cat.Groups {
		if Fold(g.Name) == want {
			out = append(out, roster.RefValue(g.ID))
		}
	}
	return out
}

// compileRefs types the values of a tags or groups condition as ids; for
// "all of" it keeps one list of alternatives per value.
func compileRefs(pr Pred, f roster.Field, c Cond, cat *roster.Catalog) Pred {
	for _, v := range c.Values {
		ids := refIDs(f, cat, v)
		if pr.Op == OpAll {
			pr.Alts = append(pr.Alts, ids)
		}
		for _, id := range ids {
			if !slices.Contains(pr.Strs, id) {
				pr.Strs = append(pr.Strs, id)
			}
		}
	}
	return pr
}

// compileSmart types a smart_type condition: the target groups' ids, and
// the list they are ranked by.
func compileSmart(pr Pred, f roster.Field, c Cond, cat *roster.Catalog) Pred {
	if cat != nil {
		for _, id := range cat.SmartTypes {
			pr.Smart = append(pr.Smart, roster.RefValue(id))
		}
	}
	for _, v := range c.Values {
		for _, id := range refIDs(f, cat, v) {
			if !slices.Contains(pr.Strs, id) {
				pr.Strs = append(pr.Strs, id)
			}
		}
	}
	return pr
}

// SegmentField is the pseudo-field that segment:NAME filters on.
var SegmentField = roster.Field{Key: "segment", Label: "Segment", Type: "segment", Filterable: true}

// compileSegmentCond compiles segment:NAME,... (any of the segments).
func compileSegmentCond(c Cond, reg *roster.Registry, loc *time.Location, path []string) (Pred, error) {
	bad := func(format string, args ...any) (Pred, error) {
		return Pred{}, errAt(c.Pos, "segment: "+format, args...)
	}
	if c.Op != OpEq {
		return bad("the operator %s is not available for segments (use segment:NAME)", opName(c.Op))
	}
	if len(c.Values) == 0 {
		return bad("a segment name is required")
	}
	pr := Pred{Field: SegmentField, Kind: KindSegment, Op: OpEq, Negate: c.Negate}
	for _, v := range c.Values {
		sg, ok := findSegment(reg.Catalog, v)
		if !ok {
			return bad("there is no segment %s", roster.Quote(strings.TrimSpace(v)))
		}
		sp, err := compileSegment(sg, reg, loc, path)
		if err != nil {
			return Pred{}, errAt(c.Pos, "%s", roster.ErrorMessageOr(err))
		}
		pr.Segs = append(pr.Segs, sp)
	}
	return pr, nil
}

func findSegment(cat *roster.Catalog, v string) (roster.Segment, bool) {
	if cat == nil {
		return roster.Segment{}, false
	}
	v = strings.TrimSpace(v)
	if m := refIDRE.FindStringSubmatch(v); m != nil {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		return cat.Segment(id)
	}
	want := Fold(v)
	for _, s := range cat.Segments {
		if Fold(s.Name) == want {
			return s, true
		}
	}
	return roster.Segment{}, false
}

// maxSegmentDepth bounds how deeply segments may nest, cycles aside.
const maxSegmentDepth = 16

// compileSegment compiles sg; path holds the names of the segments being
// compiled around it, to refuse cycles.
func compileSegment(sg roster.Segment, reg *roster.Registry, loc *time.Location, path []string) (*SegPlan, error) {
	if slices.Contains(path, sg.Name) {
		return nil, roster.Errorf(roster.EINVALID, "segment %q refers to itself (%s)", sg.Name, strings.Join(append(path, sg.Name), " → "))
	}
	if len(path) >= maxSegmentDepth {
		return nil, roster.Errorf(roster.EINVALID, "segments nest more than %d deep", maxSegmentDepth)
	}
	path = append(slices.Clip(path), sg.Name)
	sp := &SegPlan{ID: sg.ID, Name: sg.Name, Reg: reg}
	if sg.Q != "" {
		f, err := Parse(sg.Q)
		if err != nil {
			return nil, roster.Errorf(roster.EINVALID, "segment %q: %s", sg.Name, roster.ErrorMessageOr(err))
		}
		if sp.Plan, err = compile(f, reg, loc, path); err != nil {
			return nil, roster.Errorf(roster.EINVALID, "segment %q: %s", sg.Name, roster.ErrorMessageOr(err))
		}
	}
	refs := func(list []roster.SegmentRef, what string) ([]Pred, error) {
		var out []Pred
		for _, r := range list {
			switch r.Type {
			case roster.RefGroup:
				if _, ok := reg.Catalog.Group(r.ID); !ok {
					return nil, roster.Errorf(roster.EINVALID, "segment %q %s a group that does not exist (#%d)", sg.Name, what, r.ID)
				}
				gf, _ := reg.Field("groups")
				out = append(out, Pred{Field: gf, Kind: KindSet, Op: OpEq, Strs: []string{roster.RefValue(r.ID)}})
			case roster.RefSegment:
				other, ok := reg.Catalog.Segment(r.ID)
				if !ok {
					return nil, roster.Errorf(roster.EINVALID, "segment %q %s a segment that does not exist (#%d)", sg.Name, what, r.ID)
				}
				osp, err := compileSegment(other, reg, loc, path)
				if err != nil {
					return nil, err
				}
				out = append(out, Pred{Field: SegmentField, Kind: KindSegment, Op: OpEq, Segs: []*SegPlan{osp}})
			}
		}
		return out, nil
	}
	var err error
	if sp.Include, err = refs(sg.Include, "includes"); err != nil {
		return nil, err
	}
	if sp.Exclude, err = refs(sg.Exclude, "excludes"); err != nil {
		return nil, err
	}
	if sp.Added, err = usersPred(sg.AddedUsers, reg, loc); err != nil {
		return nil, roster.Errorf(roster.EINVALID, "segment %q: users added: %s", sg.Name, roster.ErrorMessageOr(err))
	}
	if sp.Removed, err = usersPred(sg.RemovedUsers, reg, loc); err != nil {
		return nil, roster.Errorf(roster.EINVALID, "segment %q: users removed: %s", sg.Name, roster.ErrorMessageOr(err))
	}
	return sp, nil
}

// usersPred is id:A,B,... for the public ids given: none for an empty list.
func usersPred(ids []string, reg *roster.Registry, loc *time.Location) ([]Pred, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	f, ok := reg.Field("id")
	if !ok {
		return nil, roster.Errorf(roster.EINVALID, "no id field")
	}
	pr, err := compileCond(f, Cond{Field: "id", Op: OpEq, Values: ids, Pos: -1}, loc, reg.Catalog)
	if err != nil {
		return nil, err
	}
	return []Pred{pr}, nil
}

// CheckSegment checks that sg can be saved among the catalog of reg: its
// filter is valid, what it includes and excludes exists, and no cycle runs
// through it. Errors are EINVALID and name the field at fault.
func CheckSegment(sg *roster.Segment, reg *roster.Registry) error {
	cat := &roster.Catalog{}
	if reg.Catalog != nil {
		*cat = *reg.Catalog
	}
	for _, other := range cat.Segments {
		if other.ID != sg.ID && Fold(other.Name) == Fold(sg.Name) {
			return &roster.Error{Code: roster.ECONFLICT, Message: "name: another segment is called " + sg.Name,
				Fields: map[string]string{"name": "another segment has this name"}, Position: -1}
		}
	}
	// Check it as if it were saved: a new segment takes an id no other has.
	probe := *sg
	if probe.ID == 0 {
		probe.ID = -1
	}
	cat.Segments = slices.DeleteFunc(slices.Clone(cat.Segments), func(x roster.Segment) bool { return x.ID == sg.ID })
	cat.Segments = append(cat.Segments, probe)
	r2 := *reg
	r2.Catalog = cat
	if sg.Q != "" {
		f, err := Parse(sg.Q)
		if err != nil {
			return fieldErr("q", err)
		}
		if _, err := compile(f, &r2, time.UTC, []string{probe.Name}); err != nil {
			return fieldErr("q", err)
		}
	}
	if _, err := compileSegment(probe, &r2, time.UTC, nil); err != nil {
		key := "include"
		if strings.Contains(err.Error(), "excludes") {
			key = "exclude"
		}
		return fieldErr(key, err)
	}
	return nil
}

func fieldErr(key string, err error) error {
	msg := roster.ErrorMessageOr(err)
	return &roster.Error{Code: roster.EINVALID, Message: key + ": " + msg, Fields: map[string]string{key: msg}, Position: -1}
}

// SegmentRefersTo reports whether s names target directly: by include or
// exclude, or by segment:NAME in its filter.
func SegmentRefersTo(s, target roster.Segment) bool {
	ref := roster.SegmentRef{Type: roster.RefSegment, ID: target.ID}
	if slices.Contains(s.Include, ref) || slices.Contains(s.Exclude, ref) {
		return true
	}
	f, err := Parse(s.Q)
	if err != nil {
		return false
	}
	for _, c := range f.Conds {
		if !isSegmentKey(c.Field) {
			continue
		}
		for _, v := range c.Values {
			v = strings.TrimSpace(v)
			if Fold(v) == Fold(target.Name) || v == fmt.Sprintf("#%d", target.ID) {
				return true
			}
		}
	}
	return false
}

func isSegmentKey(k string) bool {
	k = strings.ToLower(k)
	return k == "segment" || k == "segments"
}

// Walk calls fn for every predicate of p, those inside segments included.
func (p *Plan) Walk(fn func(Pred)) {
	var pred func(Pred)
	seg := func(sp *SegPlan) {
		if sp.Plan != nil {
			sp.Plan.Walk(fn)
		}
		for _, x := range sp.Include {
			pred(x)
		}
		for _, x := range sp.Exclude {
			pred(x)
		}
	}
	pred = func(pr Pred) {
		fn(pr)
		for _, sp := range pr.Segs {
			seg(sp)
		}
	}
	for _, g := range p.Groups {
		for _, pr := range g {
			pred(pr)
		}
	}
	for _, pr := range p.Not {
		pred(pr)
	}
}
