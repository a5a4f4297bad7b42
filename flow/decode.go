package flow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// decodeTree decodes a JSON document into the generic values the schema
// validator takes (map[string]any, []any, string, json.Number, bool, nil).
// Unlike encoding/json it reports keys repeated in an object instead of
// silently keeping the last: dups holds the path of each repeat. A syntax
// error is returned as an invalid_json problem.
func decodeTree(data []byte) (v any, dups [][]string, syntax *Problem) {
	// json.Unmarshal checks the whole input first (one value, no trailing
	// data, nesting depth bounded), so the recursion below is bounded too.
	if err := json.Unmarshal(data, new(json.RawMessage)); err != nil {
		return nil, nil, &Problem{Code: CodeInvalidJSON, Message: syntaxMessage(data, err)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	td := treeDecoder{dec: dec}
	v, err := td.value(nil)
	if err != nil {
		return nil, nil, &Problem{Code: CodeInvalidJSON, Message: "not valid JSON: " + err.Error()}
	}
	return v, td.dups, nil
}

type treeDecoder struct {
	dec  *json.Decoder
	dups [][]string
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
			p := append(path[:len(path):len(path)], key)
			v, err := td.value(p)
			if err != nil {
				return nil, err
			}
			if _, dup := obj[key]; dup {
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
	return tok, nil
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
