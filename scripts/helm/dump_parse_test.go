// Dumps the lexer and parser tables of Go's text/template/parse tests as
// JSON (see go-tables.sh). Compiled beside the package's own test files.

package parse

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func dumpJSON(t *testing.T, name string, value any) {
	data, err := json.MarshalIndent(value, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(os.Getenv("TABLES_OUT"), name), append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

type dumpItem struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
	Pos   int    `json:"pos"`
	Line  int    `json:"line"`
}

func dumpItems(items []item) []dumpItem {
	out := []dumpItem{}
	for _, i := range items {
		out = append(out, dumpItem{i.typ.String(), i.val, int(i.pos), i.line})
	}
	return out
}

func TestDumpTables(t *testing.T) {
	type lexCase struct {
		Name     string     `json:"name"`
		Input    string     `json:"input"`
		Left     string     `json:"left"`
		Right    string     `json:"right"`
		Expected []dumpItem `json:"expected"`
		Actual   []dumpItem `json:"actual"`
		CheckPos bool       `json:"checkPos"`
	}
	var lexCases []lexCase
	for _, test := range lexTests {
		test := test
		lexCases = append(lexCases, lexCase{test.name, test.input, "", "", dumpItems(test.items), dumpItems(collect(&test, "", "")), false})
	}
	for _, test := range lexDelimTests {
		test := test
		lexCases = append(lexCases, lexCase{"delims " + test.name, test.input, "$$", "@@", dumpItems(test.items), dumpItems(collect(&test, "$$", "@@")), false})
	}
	for _, test := range lexPosTests {
		test := test
		lexCases = append(lexCases, lexCase{"pos " + test.name, test.input, "", "", dumpItems(test.items), dumpItems(collect(&test, "", "")), true})
	}
	dumpJSON(t, "lex.json", lexCases)

	type parseCase struct {
		Name     string `json:"name"`
		Input    string `json:"input"`
		Ok       bool   `json:"ok"`
		Expected string `json:"expected"`
		Actual   string `json:"actual"`
		Error    string `json:"error"`
		Mode     string `json:"mode"`
	}
	var parseCases []parseCase
	textFormat = "%q"
	run := func(name, input string, ok bool, expected string, mode Mode, modeName string, comments bool) {
		tr := New(name)
		tr.Mode = mode
		tmpl, err := tr.Parse(input, "", "", make(map[string]*Tree), builtins)
		c := parseCase{Name: name, Input: input, Ok: ok, Expected: expected, Mode: modeName}
		if err != nil {
			c.Error = err.Error()
		} else if tmpl.Root != nil {
			c.Actual = tmpl.Root.String()
		}
		parseCases = append(parseCases, c)
	}
	for _, test := range parseTests {
		run(test.name, test.input, test.ok, test.result, 0, "", false)
	}
	for _, test := range errorTests {
		run("error "+test.name, test.input, test.ok, test.result, 0, "", false)
	}
	dumpJSON(t, "parse.json", parseCases)
	textFormat = "%s"

	type numberCase struct {
		Text      string  `json:"text"`
		IsInt     bool    `json:"isInt"`
		IsUint    bool    `json:"isUint"`
		IsFloat   bool    `json:"isFloat"`
		IsComplex bool    `json:"isComplex"`
		Int64     int64   `json:"int64"`
		Uint64    uint64  `json:"uint64"`
		Float64   float64 `json:"float64"`
		Real      float64 `json:"real"`
		Imaginary float64 `json:"imaginary"`
	}
	var numberCases []numberCase
	for _, test := range numberTests {
		numberCases = append(numberCases, numberCase{test.text, test.isInt, test.isUint, test.isFloat, test.isComplex,
			test.int64, test.uint64, test.float64, real(test.complex128), imag(test.complex128)})
	}
	dumpJSON(t, "numbers.json", numberCases)
}
