package email

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// iterationFunc is the function injectIterationChecks calls at the start
// of every loop body. Calling it by hand only counts an iteration.
const iterationFunc = "_ordo_iteration"

// errCallRefused is what the builtin call does in an e-mail template. Parse
// refuses templates that use it; this is a second line.
var errCallRefused = errors.New("call is not allowed in e-mail templates")

// funcs returns the function set of a rendering: text/template's builtins,
// with every function that builds a string (print, printf, println, html,
// js, urlquery) replaced by one that refuses to build more than
// Limits.MaxOutput bytes and checks the context, call removed, and date
// added (methods cannot be called with arguments, see Parse). and, or,
// not, len, index, slice and the comparisons are text/template's own: they
// build nothing.
func (b *budget) funcs() template.FuncMap {
	return template.FuncMap{
		iterationFunc: b.iterate,
		"print":       b.print,
		"println":     b.println,
		"printf":      b.printf,
		"html":        b.escaper(template.HTMLEscaper),
		"js":          b.escaper(template.JSEscaper),
		"urlquery":    b.escaper(template.URLQueryEscaper),
		"date":        b.date,
		"call": func(any, ...any) (any, error) {
			return nil, errCallRefused
		},
	}
}

// parseFuncs has the names of the function set, for parsing.
var parseFuncs = (&budget{}).funcs()

// results are the static result types of the functions, for Parse's field
// checks; functions missing here (and, or, index, slice) give a value of
// unknown type.
var results = map[string]reflect.Type{
	"print": stringType, "println": stringType, "printf": stringType,
	"html": stringType, "js": stringType, "urlquery": stringType, "date": stringType,
	"len": reflect.TypeFor[int](),
	"not": boolType, "eq": boolType, "ne": boolType, "lt": boolType, "le": boolType, "gt": boolType, "ge": boolType,
}

var (
	stringType = reflect.TypeFor[string]()
	boolType   = reflect.TypeFor[bool]()
)

func (b *budget) print(args ...any) (string, error) {
	if err := b.fits(len(args), args); err != nil {
		return "", err
	}
	return b.built(fmt.Sprint(args...))
}

func (b *budget) println(args ...any) (string, error) {
	if err := b.fits(len(args)+1, args); err != nil {
		return "", err
	}
	return b.built(fmt.Sprintln(args...))
}

// printf is fmt.Sprintf with widths and precisions of at most
// MaxFormatWidth, no "*" width, and, when the format pads, only scalar
// arguments (a width applies to each element of a slice).
func (b *budget) printf(format string, args ...any) (string, error) {
	padding, err := checkFormat(format)
	if err != nil {
		return "", err
	}
	if padding > 0 {
		for i, a := range args {
			if !scalar(a) {
				return "", fmt.Errorf("printf format %s: argument %d is a %T; a width or precision applies only to strings, numbers and booleans", quoteShort(format), i+1, a)
			}
		}
	}
	if err := b.fits(len(format)+padding, args); err != nil {
		return "", err
	}
	return b.built(fmt.Sprintf(format, args...))
}

// escaper wraps one of text/template's escapers.
func (b *budget) escaper(escape func(...any) string) func(...any) (string, error) {
	return func(args ...any) (string, error) {
		if err := b.fits(len(args), args); err != nil {
			return "", err
		}
		return b.built(escape(args...))
	}
}

// date formats a time with a Go layout: {{date "2 January 2006" .Order.CreatedAt}}
// or {{.Order.CreatedAt | date "2006-01-02"}}. A nil *time.Time gives "".
func (b *budget) date(layout string, t any) (string, error) {
	if err := b.fits(2*len(layout), nil); err != nil {
		return "", err
	}
	switch v := t.(type) {
	case time.Time:
		return b.built(v.Format(layout))
	case *time.Time:
		if v == nil {
			return "", nil
		}
		return b.built(v.Format(layout))
	default:
		return "", fmt.Errorf("date: want a time such as .Order.CreatedAt, got %T", t)
	}
}

// scalar reports whether v is a string, number, boolean or nil, through
// pointers.
func scalar(v any) bool {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Invalid, reflect.Pointer, reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return true
	}
	return false
}

// checkFormat checks the widths and precisions of a printf format and
// returns their sum.
func checkFormat(format string) (padding int, err error) {
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		for i < len(format) && (format[i] == '+' || format[i] == '-' || format[i] == '#' || format[i] == ' ' || format[i] == '0') {
			i++
		}
		i = skipArgIndex(format, i)
		n, next, err := formatNumber(format, i, "width")
		if err != nil {
			return 0, err
		}
		padding, i = padding+n, next
		if i < len(format) && format[i] == '.' {
			i = skipArgIndex(format, i+1)
			if n, i, err = formatNumber(format, i, "precision"); err != nil {
				return 0, err
			}
			padding += n
		}
		i = skipArgIndex(format, i)
		// format[i] is the verb; the loop steps over it.
	}
	return padding, nil
}

// skipArgIndex skips an explicit argument index such as "[2]".
func skipArgIndex(format string, i int) int {
	if i >= len(format) || format[i] != '[' {
		return i
	}
	for j := i + 1; j < len(format); j++ {
		if format[j] == ']' {
			return j + 1
		}
	}
	return i
}

// formatNumber reads a width or precision at i.
func formatNumber(format string, i int, what string) (n, next int, err error) {
	if i < len(format) && format[i] == '*' {
		return 0, i, fmt.Errorf("printf format %s: a %s taken from an argument (*) is not allowed", quoteShort(format), what)
	}
	start := i
	for ; i < len(format) && '0' <= format[i] && format[i] <= '9'; i++ {
		if n <= MaxFormatWidth {
			n = n*10 + int(format[i]-'0')
		}
	}
	if n > MaxFormatWidth {
		return 0, i, fmt.Errorf("printf format %s: %s %s is more than %d", quoteShort(format), what, digits(format[start:i]), MaxFormatWidth)
	}
	return n, i, nil
}

// digits shortens a long run of digits for a message.
func digits(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

// quoteShort quotes s, shortened to about 40 bytes.
func quoteShort(s string) string {
	if len(s) > 40 {
		s = strings.ToValidUTF8(s[:30], "") + "…" + strings.ToValidUTF8(s[len(s)-8:], "")
	}
	return strconv.Quote(s)
}
