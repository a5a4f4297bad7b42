package email

import (
	"fmt"
	"reflect"
	"strings"
)

// fieldType returns the type of .name on a value of type t the way
// text/template looks it up: a method of the value or of its pointer
// first, then a struct field or a map key, through pointers. An interface
// result is unknown (nil).
func fieldType(t reflect.Type, name string) (reflect.Type, error) {
	if t.Kind() == reflect.Interface {
		if m, ok := t.MethodByName(name); ok {
			return methodResult(t, m)
		}
		return nil, nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if m, ok := reflect.PointerTo(t).MethodByName(name); ok {
		return methodResult(t, m)
	}
	switch t.Kind() {
	case reflect.Interface:
		return nil, nil
	case reflect.Struct:
		f, ok := t.FieldByName(name)
		if !ok {
			return nil, fmt.Errorf("%s has no field or method %s%s", t, name, suggest(t, name))
		}
		if !f.IsExported() {
			return nil, fmt.Errorf("field %s of %s is not exported", name, t)
		}
		return known(f.Type), nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("%s has %s keys, not names such as %s", t, t.Key(), name)
		}
		return known(t.Elem()), nil
	}
	return nil, fmt.Errorf("%s has no fields, so not %s", t, name)
}

// methodResult is the type a method gives in a template, where it cannot
// be passed arguments.
func methodResult(t reflect.Type, m reflect.Method) (reflect.Type, error) {
	in := m.Type.NumIn()
	if t.Kind() != reflect.Interface {
		in-- // the receiver
	}
	if in > 0 || m.Type.NumOut() == 0 {
		return nil, fmt.Errorf("method %s of %s takes arguments, which e-mail templates cannot pass", m.Name, t)
	}
	return known(m.Type.Out(0)), nil
}

// known returns t, or nil for an interface type (what it holds is known
// only at run time).
func known(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Interface {
		return nil
	}
	return t
}

// suggest lists the exported fields of struct type t for a message, with
// the one that differs from name only in case first.
func suggest(t reflect.Type, name string) string {
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if strings.EqualFold(f.Name, name) {
			return " (did you mean " + f.Name + "?)"
		}
		names = append(names, f.Name)
	}
	if len(names) == 0 {
		return ""
	}
	return " (fields: " + strings.Join(names, ", ") + ")"
}

// rangeTypes returns the key (or index) and element types of a {{range}}
// over a value of type t; nil when unknown.
func rangeTypes(t reflect.Type) (key, elem reflect.Type) {
	if t == nil {
		return nil, nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return reflect.TypeFor[int](), known(t.Elem())
	case reflect.Map:
		return known(t.Key()), known(t.Elem())
	case reflect.Chan:
		return known(t.Elem()), known(t.Elem())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return t, t
	}
	return nil, nil
}
