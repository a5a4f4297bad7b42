package email

import (
	"fmt"
	"reflect"
	"strings"
	"text/template"
	tparse "text/template/parse"
)

// checker walks a parsed template, enforces the rules Parse documents and
// follows the static type of dot and of every variable so that field
// references can be checked against the data.
type checker struct {
	name string
	text string
	vars []variable
}

// variable is a template variable in scope.
type variable struct {
	name string
	val  value
}

// value is what the checker knows about a value: its static type (nil when
// unknown) and whether it is a constant written in the template.
type value struct {
	t        reflect.Type
	constant bool
}

// checkFailure carries the first broken rule out of the walk.
type checkFailure struct{ err *TemplateError }

// check enforces the rules of e-mail templates on tmpl, parsed from text,
// with data the type of dot (nil: unknown).
func check(tmpl *template.Template, text string, data reflect.Type) (err error) {
	for _, x := range tmpl.Templates() {
		if x.Name() != tmpl.Name() {
			return &TemplateError{Name: tmpl.Name(), Reason: fmt.Sprintf(
				"{{define %q}} and {{block}} are not allowed: write the whole text in this field", x.Name())}
		}
	}
	if tmpl.Tree == nil {
		return nil
	}
	c := &checker{name: tmpl.Name(), text: text, vars: []variable{{"$", value{t: data}}}}
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(checkFailure)
			if !ok {
				panic(r)
			}
			err = f.err
		}
	}()
	c.walk(tmpl.Tree.Root, value{t: data})
	return nil
}

// fail stops the walk with a *TemplateError located at n.
func (c *checker) fail(n tparse.Node, format string, args ...any) {
	pos := min(max(int(n.Position()), 0), len(c.text))
	before := c.text[:pos]
	line := 1 + strings.Count(before, "\n")
	col := pos - strings.LastIndexByte(before, '\n')
	panic(checkFailure{&TemplateError{Name: c.name, Line: line, Column: col, Reason: fmt.Sprintf(format, args...)}})
}

func (c *checker) walk(n tparse.Node, dot value) {
	switch n := n.(type) {
	case *tparse.ListNode:
		if n == nil {
			return
		}
		for _, x := range n.Nodes {
			c.walk(x, dot)
		}
	case *tparse.ActionNode:
		c.pipe(n.Pipe, dot)
	case *tparse.IfNode:
		c.branch(&n.BranchNode, dot, false)
	case *tparse.WithNode:
		c.branch(&n.BranchNode, dot, true)
	case *tparse.RangeNode:
		c.rangeNode(n, dot)
	case *tparse.TemplateNode:
		c.fail(n, "{{template %q}} is not allowed: write the whole text in this field", n.Name)
	}
	// Text, comments, break and continue: nothing to check.
}

// branch checks an if (dot unchanged) or a with (dot is the pipeline's
// value in the body). Variables declared in the pipeline are visible in
// both branches, those of the body only there.
func (c *checker) branch(b *tparse.BranchNode, dot value, with bool) {
	mark := len(c.vars)
	v := c.pipe(b.Pipe, dot)
	inner := len(c.vars)
	body := dot
	if with {
		body = value{t: v.t}
	}
	c.walk(b.List, body)
	c.vars = c.vars[:inner]
	c.walk(b.ElseList, dot)
	c.vars = c.vars[:mark]
}

// rangeNode refuses a loop over a constant and checks the body with dot
// (and the declared variables) of the element type.
func (c *checker) rangeNode(n *tparse.RangeNode, dot value) {
	mark := len(c.vars)
	v := c.pipeValue(n.Pipe, dot)
	if v.constant {
		c.fail(n, "{{range %s}} loops over a constant; loops go over order data such as .Order.Items", short(n.Pipe.String()))
	}
	key, elem := rangeTypes(v.t)
	switch len(n.Pipe.Decl) {
	case 1:
		c.declare(n.Pipe.Decl[0].Ident[0], value{t: elem})
	case 2:
		c.declare(n.Pipe.Decl[0].Ident[0], value{t: key})
		c.declare(n.Pipe.Decl[1].Ident[0], value{t: elem})
	}
	inner := len(c.vars)
	c.walk(n.List, value{t: elem})
	c.vars = c.vars[:inner]
	c.walk(n.ElseList, dot)
	c.vars = c.vars[:mark]
}

// pipe checks a pipeline and declares or assigns its variables.
func (c *checker) pipe(p *tparse.PipeNode, dot value) value {
	v := c.pipeValue(p, dot)
	if p == nil {
		return v
	}
	for _, d := range p.Decl {
		if p.IsAssign {
			c.assign(d.Ident[0], v)
		} else {
			c.declare(d.Ident[0], v)
		}
	}
	return v
}

// pipeValue checks the commands of a pipeline and returns the value of the
// last.
func (c *checker) pipeValue(p *tparse.PipeNode, dot value) value {
	var v value
	if p == nil {
		return v
	}
	for i, cmd := range p.Cmds {
		v = c.command(cmd, dot, i > 0)
	}
	return v
}

// command checks one command; piped is true when it receives the value of
// the command before it as its last argument.
func (c *checker) command(cmd *tparse.CommandNode, dot value, piped bool) value {
	if len(cmd.Args) == 0 {
		return value{}
	}
	for _, a := range cmd.Args[1:] {
		c.arg(a, dot)
	}
	head := cmd.Args[0]
	if id, ok := head.(*tparse.IdentifierNode); ok {
		return c.function(id, cmd)
	}
	if (len(cmd.Args) > 1 || piped) && selectsField(head) {
		c.fail(head, "%s is called with arguments; methods cannot take arguments in e-mail templates (format a time with date, for example {{date \"2 Jan 2006\" .Order.CreatedAt}})", short(head.String()))
	}
	return c.arg(head, dot)
}

// selectsField reports whether n ends with a field or method name.
func selectsField(n tparse.Node) bool {
	switch n := n.(type) {
	case *tparse.FieldNode, *tparse.ChainNode:
		return true
	case *tparse.VariableNode:
		return len(n.Ident) > 1
	}
	return false
}

// function checks a call of the function id, the head of cmd (nil when the
// function is an argument, called without arguments).
func (c *checker) function(id *tparse.IdentifierNode, cmd *tparse.CommandNode) value {
	switch id.Ident {
	case "call":
		c.fail(id, "the function call is not allowed in e-mail templates")
	case "printf":
		if cmd != nil && len(cmd.Args) > 1 {
			if s, ok := cmd.Args[1].(*tparse.StringNode); ok {
				if _, err := checkFormat(s.Text); err != nil {
					c.fail(s, "%v", err)
				}
			}
		}
	}
	return value{t: results[id.Ident]}
}

// arg checks an operand and returns its value.
func (c *checker) arg(n tparse.Node, dot value) value {
	switch n := n.(type) {
	case *tparse.DotNode:
		return value{t: dot.t}
	case *tparse.FieldNode:
		return c.fields(n, dot.t, n.Ident)
	case *tparse.VariableNode:
		v := c.lookup(n.Ident[0])
		if len(n.Ident) == 1 {
			return v
		}
		return c.fields(n, v.t, n.Ident[1:])
	case *tparse.ChainNode:
		base := c.arg(n.Node, dot)
		return c.fields(n, base.t, n.Field)
	case *tparse.PipeNode:
		return c.pipe(n, dot)
	case *tparse.IdentifierNode:
		return c.function(n, nil)
	case *tparse.NumberNode:
		t := reflect.TypeFor[complex128]()
		switch {
		case n.IsInt:
			t = reflect.TypeFor[int]()
		case n.IsFloat:
			t = reflect.TypeFor[float64]()
		}
		return value{t: t, constant: true}
	case *tparse.StringNode:
		return value{t: stringType, constant: true}
	case *tparse.BoolNode:
		return value{t: boolType, constant: true}
	case *tparse.NilNode:
		return value{constant: true}
	}
	return value{}
}

// fields follows a chain of field or method names from t.
func (c *checker) fields(n tparse.Node, t reflect.Type, names []string) value {
	for _, name := range names {
		if t == nil {
			return value{}
		}
		next, err := fieldType(t, name)
		if err != nil {
			c.fail(n, "%s: %v", short(n.String()), err)
		}
		t = next
	}
	return value{t: t}
}

func (c *checker) declare(name string, v value) {
	c.vars = append(c.vars, variable{name, v})
}

// assign gives a variable a new value: its type stays known only when it
// does not change, and a variable that ever held a constant counts as one.
func (c *checker) assign(name string, v value) {
	for i := len(c.vars) - 1; i >= 0; i-- {
		if c.vars[i].name == name {
			old := c.vars[i].val
			if old.t != v.t {
				old.t = nil
			}
			old.constant = old.constant || v.constant
			c.vars[i].val = old
			return
		}
	}
}

func (c *checker) lookup(name string) value {
	for i := len(c.vars) - 1; i >= 0; i-- {
		if c.vars[i].name == name {
			return c.vars[i].val
		}
	}
	return value{}
}

// short abbreviates a node's text for a message.
func short(s string) string {
	if len(s) > 60 {
		s = strings.ToValidUTF8(s[:50], "") + "…" + strings.ToValidUTF8(s[len(s)-8:], "")
	}
	return s
}

// injectIterationChecks makes every {{range}} body start with a call of
// iterationFunc, which counts the iteration and checks the context and
// writes nothing: a loop that writes nothing, or loops nested over large
// data, still meet the budget. The nodes have no tree of their own, so an
// error there is located at the range.
func injectIterationChecks(list *tparse.ListNode) {
	if list == nil {
		return
	}
	for _, n := range list.Nodes {
		switch n := n.(type) {
		case *tparse.IfNode:
			injectIterationChecks(n.List)
			injectIterationChecks(n.ElseList)
		case *tparse.WithNode:
			injectIterationChecks(n.List)
			injectIterationChecks(n.ElseList)
		case *tparse.RangeNode:
			injectIterationChecks(n.List)
			injectIterationChecks(n.ElseList)
			if n.List == nil {
				n.List = &tparse.ListNode{NodeType: tparse.NodeList, Pos: n.Pos}
			}
			n.List.Nodes = append([]tparse.Node{iterationAction(n.Pos, n.Line)}, n.List.Nodes...)
		}
	}
}

// iterationAction is {{_ordo_iteration}} at pos.
func iterationAction(pos tparse.Pos, line int) *tparse.ActionNode {
	id := tparse.NewIdentifier(iterationFunc).SetPos(pos)
	cmd := &tparse.CommandNode{NodeType: tparse.NodeCommand, Pos: pos, Args: []tparse.Node{id}}
	pipe := &tparse.PipeNode{NodeType: tparse.NodePipe, Pos: pos, Line: line, Cmds: []*tparse.CommandNode{cmd}}
	return &tparse.ActionNode{NodeType: tparse.NodeAction, Pos: pos, Line: line, Pipe: pipe}
}
