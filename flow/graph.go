package flow

import (
	"strconv"
	"strings"
)

// edge is an onSuccess or onError link that resolves to a step.
type edge struct {
	field string // "onSuccess" or "onError"
	to    int
}

// edges returns the links of step i that name a step, onSuccess first.
func (d *document) edges(i int, ids map[string]int) []edge {
	var out []edge
	s := d.step(i)
	for _, f := range []string{"onSuccess", "onError"} {
		if t, ok := s[f].(string); ok {
			if j, found := ids[t]; found {
				out = append(out, edge{f, j})
			}
		}
	}
	return out
}

// checkCycles reports every back edge of a depth-first search that starts
// at the first step and then at each step not yet visited, in document
// order, following onSuccess before onError. Each report names the cycle
// the edge closes ("a -> b -> a") and points at the link that closes it;
// removing all reported links leaves no cycle.
func (d *document) checkCycles(ids map[string]int) {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(d.steps))
	var stack []int
	var visit func(u int)
	visit = func(u int) {
		color[u] = grey
		stack = append(stack, u)
		for _, e := range d.edges(u, ids) {
			switch color[e.to] {
			case white:
				visit(e.to)
			case grey:
				start := 0
				for k, s := range stack {
					if s == e.to {
						start = k
						break
					}
				}
				names := make([]string, 0, len(stack)-start+1)
				for _, s := range stack[start:] {
					names = append(names, plain(d.stepID(s)))
				}
				names = append(names, plain(d.stepID(e.to)))
				d.add(CodeCycle, d.stepPath(u, e.field), "%s of step %q closes a cycle: %s",
					e.field, d.stepID(u), strings.Join(names, " -> "))
			}
		}
		stack = stack[:len(stack)-1]
		color[u] = black
	}
	for i := range d.steps {
		if color[i] == white {
			visit(i)
		}
	}
}

// unreachable returns a warning for each step with a unique id that no
// chain of links from the first step reaches, and that no reached step
// names as its onCompensate (a compensation step's own links are not
// followed: it runs alone).
func (d *document) unreachable() []Problem {
	if len(d.steps) == 0 {
		return nil
	}
	ids := map[string]int{}
	for i := range d.steps {
		if id := d.stepID(i); id != "" {
			if _, dup := ids[id]; !dup {
				ids[id] = i
			}
		}
	}
	seen := make([]bool, len(d.steps))
	seen[0] = true
	queue := []int{0}
	compensation := make([]bool, len(d.steps)) // reached as a compensation of a reached step
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, e := range d.edges(u, ids) {
			if !seen[e.to] {
				seen[e.to] = true
				queue = append(queue, e.to)
			}
		}
		if t, ok := d.step(u)["onCompensate"].(string); ok {
			if j, found := ids[t]; found {
				compensation[j] = true
			}
		}
	}
	for i := range seen {
		// A compensation step's own links are not followed.
		seen[i] = seen[i] || compensation[i]
	}
	first := ""
	if id := d.stepID(0); id != "" {
		first = " " + strconv.Quote(id)
	}
	var out []Problem
	for id, i := range ids {
		if !seen[i] {
			out = append(out, d.problem(CodeUnreachable, d.stepPath(i),
				"step %q is not reachable from the first step%s", id, first))
		}
	}
	return out
}
