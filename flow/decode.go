package flow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// decodeTree decodes a JSON document into the generic values the schema
// validator takes (map[string]any, []any, string, json.Number, bool, nil).
// Unlike encoding/json it reports keys repeated in an object instead of
// silently keeping the last: t.dups holds the path of each repeat. Numbers
// too long or with too large an exponent for any use in a flow are replaced
// by null and their paths listed in t.badNumbers: arbitrary-precision
// arithmetic on them (in the schema validator) would be slow, or fail. A
// syntax error is returned as an invalid_json problem.
func decodeTree(data []byte) (t *tree, syntax *Problem) {
	// json.Unmarshal checks the whole input first (one value, no trailing
	// data, nesting depth bounded), so the recursion below is bounded too.
	if err := json.Unmarshal(data, new(json.RawMessage)); err != nil {
		return nil, &Problem{Code: CodeInvalidJSON, Message: syntaxMessage(data, err)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	td := treeDecoder{dec: dec, tree: &tree{}}
	v, err := td.value(nil)
	if err != nil {
		return nil, &Problem{Code: CodeInvalidJSON, Message: "not valid JSON: " + err.Error()}
	}
	td.tree.root = v
	return td.tree, nil
}

// tree is a decoded document.
type tree struct {
	root       any
	dups       [][]string // paths of repeated keys
	badNumbers [][]string // paths of numbers replaced by null
	numbers    []string   // their literals, for messages
}

type treeDecoder struct {
	dec *json.Decoder
	*tree
}

// Limits on numbers: far beyond any timeout, delay or limit, small enough
// for exact arithmetic to stay cheap.
const (
	maxNumberLen      = 100
	maxNumberExponent = 400
)

// saneNumber reports whether n is within the limits above.
func saneNumber(n string) bool {
	if len(n) > maxNumberLen {
		return false
	}
	i := strings.IndexAny(n, "eE")
	if i < 0 {
		return true
	}
	e, err := strconv.Atoi(strings.TrimPrefix(n[i+1:], "+"))
	return err == nil && e >= -maxNumberExponent && e <= maxNumberExponent
}

func (td *treeDecoder) value(path []string) (any, error) {
	tok, err := td.dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		obj := map[string]any{}
		for td.dec.More() {
			kt, err := td.dec.Token()
			if err != nil {
				return nil, err
			}
			key, ok := kt.(string)
			if !ok {
				return nil, fmt.Errorf("object key is %v", kt)
			}
			p := slices.Concat(path, []string{key})
			v, err := td.value(p)
			if err != nil {
				return nil, err
			}
			if _, dup := obj[key]; dup {
				// The earlier value is gone: so are the paths recorded in it.
				td.dups = slices.DeleteFunc(td.dups, within(p))
				td.badNumbers, td.numbers = deletePaths(td.badNumbers, td.numbers, func(q []string) bool {
					return slices.Equal(q, p) || within(p)(q)
				})
				td.dups = append(td.dups, p)
			}
			obj[key] = v
		}
		_, err := td.dec.Token() // '}'
		return obj, err
	case json.Delim('['):
		arr := []any{}
		for td.dec.More() {
			v, err := td.value(append(path[:len(path):len(path)], strconv.Itoa(len(arr))))
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := td.dec.Token() // ']'
		return arr, err
	}
	if n, ok := tok.(json.Number); ok && !saneNumber(string(n)) {
		td.badNumbers = append(td.badNumbers, path)
		td.numbers = append(td.numbers, string(n))
		return nil, nil
	}
	return tok, nil
}

// within returns a test for paths strictly inside prefix.
func within(prefix []string) func([]string) bool {
	return func(p []string) bool {
		return len(p) > len(prefix) && slices.Equal(p[:len(prefix)], prefix)
	}
}

// deletePaths deletes the paths matching del, and the literals beside them.
func deletePaths(paths [][]string, lits []string, del func([]string) bool) ([][]string, []string) {
	var keptPaths [][]string
	var keptLits []string
	for i, p := range paths {
		if !del(p) {
			keptPaths = append(keptPaths, p)
			keptLits = append(keptLits, lits[i])
		}
	}
	return keptPaths, keptLits
}

// syntaxMessage describes a JSON syntax error with its line and column.
func syntaxMessage(data []byte, err error) string {
	var se *json.SyntaxError
	if len(bytes.TrimSpace(data)) == 0 {
		return "not valid JSON: the document is empty"
	}
	if !errors.As(err, &se) {
		return "not valid JSON: " + err.Error()
	}
	off := min(int(se.Offset), len(data))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := max(1, off-(bytes.LastIndexByte(data[:off], '\n')+1))
	return fmt.Sprintf("not valid JSON at line %d, column %d: %s", line, col, se.Error())
}
