package store

import (
	"slices"
	"testing"
)

func TestCoalesceUpdates(t *testing.T) {
	t.Parallel()
	step := func(id, key, token string) *Update {
		return &Update{InstanceID: id, LeaseToken: token, Steps: []*Step{{Key: key}},
			Attempts: []AttemptRecord{{StepKey: key}}}
	}
	release := func(id, key string) *Update {
		u := step(id, key, "t")
		u.State, u.Release = &StateChange{Status: StatusComplete}, true
		return u
	}
	keys := func(u *Update) []string {
		var out []string
		for _, s := range u.Steps {
			out = append(out, s.Key)
		}
		for _, a := range u.Attempts {
			out = append(out, "a:"+a.StepKey)
		}
		return out
	}
	cases := []struct {
		name    string
		in      []*Update
		merged  [][]string // each merged update's steps and attempts
		carrier []int
	}{
		{"parallel steps of one instance", []*Update{step("a", "s#1", "t"), step("a", "s#2", "t"), step("a", "s#3", "t")},
			[][]string{{"s#1", "s#2", "s#3", "a:s#1", "a:s#2", "a:s#3"}}, []int{0, 0, 0}},
		{"not into the release that follows", []*Update{step("a", "s#1", "t"), step("a", "s#2", "t"), release("a", "s#3")},
			[][]string{{"s#1", "s#2", "a:s#1", "a:s#2"}, {"s#3", "a:s#3"}}, []int{0, 0, 1}},
		{"nothing after a release", []*Update{release("a", "s#1"), step("a", "s#2", "t")},
			[][]string{{"s#1", "a:s#1"}, {"s#2", "a:s#2"}}, []int{0, 1}},
		{"the same step twice", []*Update{step("a", "s#1", "t"), step("a", "s#1", "t")},
			[][]string{{"s#1", "a:s#1"}, {"s#1", "a:s#1"}}, []int{0, 1}},
		{"another lease", []*Update{step("a", "s#1", "t"), step("a", "s#2", "u")},
			[][]string{{"s#1", "a:s#1"}, {"s#2", "a:s#2"}}, []int{0, 1}},
		{"instances apart", []*Update{step("a", "s#1", "t"), step("b", "s#1", "t"), step("a", "s#2", "t")},
			[][]string{{"s#1", "s#2", "a:s#1", "a:s#2"}, {"s#1", "a:s#1"}}, []int{0, 1, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before := make([][]string, len(tc.in))
			for i, u := range tc.in {
				before[i] = keys(u)
			}
			merged, carrier := CoalesceUpdates(tc.in)
			var got [][]string
			for _, u := range merged {
				got = append(got, keys(u))
			}
			if !slices.EqualFunc(got, tc.merged, slices.Equal[[]string]) || !slices.Equal(carrier, tc.carrier) {
				t.Errorf("merged %v carried by %v, want %v by %v", got, carrier, tc.merged, tc.carrier)
			}
			for i, u := range tc.in {
				if !slices.Equal(keys(u), before[i]) {
					t.Errorf("update %d changed to %v", i, keys(u))
				}
			}
			if last := merged[carrier[len(tc.in)-1]]; last.Release != tc.in[len(tc.in)-1].Release {
				t.Errorf("merged update lost the last one's release")
			}
		})
	}
}

func TestCreateOnly(t *testing.T) {
	t.Parallel()
	create := &InstanceCreateParams{ID: "a", Workflow: "w"}
	cases := []struct {
		name string
		u    *Update
		want bool
	}{
		{"create", &Update{Create: create}, true},
		{"no create", &Update{InstanceID: "a"}, false},
		{"create and a step", &Update{Create: create, Steps: []*Step{{Key: "s#1"}}}, false},
		{"create and an attempt", &Update{Create: create, Attempts: []AttemptRecord{{StepKey: "s#1"}}}, false},
		{"create and a state", &Update{Create: create, State: &StateChange{Status: StatusComplete}}, false},
		{"create and a custom status", &Update{Create: create, CustomStatus: new(string)}, false},
		{"create and a release", &Update{Create: create, Release: true}, false},
		{"create and a consumption", &Update{Create: create, ConsumeEvents: []EventConsumption{{EventID: 1}}}, false},
		{"create and a notify", &Update{Create: create, Notify: []*EventSendParams{{InstanceID: "b"}}}, false},
	}
	for _, tc := range cases {
		if got := CreateOnly(tc.u); got != tc.want {
			t.Errorf("%s: CreateOnly = %v, want %v", tc.name, got, tc.want)
		}
	}
}
