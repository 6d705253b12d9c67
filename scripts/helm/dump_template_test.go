// Dumps the execution tables of Go's text/template tests as JSON (see
// go-tables.sh), each case with what Go's own package printed or the error
// it returned. Compiled beside the package's own test files.

package template

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
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

// describe writes a test's data as typed JSON; the shared fixtures by name.
func describe(data any) any {
	switch {
	case data == nil:
		return map[string]any{"kind": "nil"}
	case data == any(tVal):
		return map[string]any{"kind": "ref", "name": "tVal"}
	case reflect.TypeOf(data) == reflect.TypeOf(tSliceOfNil) && reflect.ValueOf(data).Pointer() == reflect.ValueOf(tSliceOfNil).Pointer():
		return map[string]any{"kind": "ref", "name": "tSliceOfNil"}
	}
	return describeValue(reflect.ValueOf(data), 0)
}

func describeValue(v reflect.Value, depth int) any {
	typ := v.Type().String()
	if depth > 6 || typ == "*template.Template" {
		return map[string]any{"kind": "unsupported", "type": typ}
	}
	if v.Kind() == reflect.Pointer && !v.IsNil() && v.Pointer() == reflect.ValueOf(tVal).Pointer() {
		return map[string]any{"kind": "ref", "name": "tVal"}
	}
	switch v.Kind() {
	case reflect.Bool:
		return map[string]any{"kind": "bool", "type": typ, "value": v.Bool()}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return map[string]any{"kind": "int", "type": typ, "value": v.Int()}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"kind": "uint", "type": typ, "value": v.Uint()}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"kind": "float", "type": typ, "value": v.Float()}
	case reflect.Complex64, reflect.Complex128:
		return map[string]any{"kind": "complex", "type": typ, "real": real(v.Complex()), "imaginary": imag(v.Complex())}
	case reflect.String:
		return map[string]any{"kind": "string", "type": typ, "value": v.String()}
	case reflect.Slice, reflect.Array:
		var items []any
		for i := 0; i < v.Len(); i++ {
			items = append(items, describeValue(v.Index(i), depth+1))
		}
		return map[string]any{"kind": "slice", "type": typ, "element": v.Type().Elem().String(), "items": items, "nil": v.Kind() == reflect.Slice && v.IsNil()}
	case reflect.Map:
		var entries [][2]any
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		for _, k := range keys {
			entries = append(entries, [2]any{describeValue(k, depth+1), describeValue(v.MapIndex(k), depth+1)})
		}
		return map[string]any{"kind": "map", "type": typ, "key": v.Type().Key().String(), "element": v.Type().Elem().String(), "entries": entries}
	case reflect.Interface:
		if v.IsNil() {
			return map[string]any{"kind": "nil"}
		}
		return describeValue(v.Elem(), depth+1)
	case reflect.Struct:
		var fields []any
		for i := 0; i < v.NumField(); i++ {
			fields = append(fields, map[string]any{"name": v.Type().Field(i).Name, "exported": v.Type().Field(i).IsExported(), "value": describeValue(v.Field(i), depth+1)})
		}
		return map[string]any{"kind": "struct", "type": typ, "fields": fields}
	case reflect.Pointer:
		if v.IsNil() {
			return map[string]any{"kind": "nilpointer", "type": typ}
		}
		return map[string]any{"kind": "pointer", "type": typ, "value": describeValue(v.Elem(), depth+1)}
	}
	return map[string]any{"kind": "unsupported", "type": typ}
}

type execCase struct {
	Name   string `json:"name"`
	Input  string `json:"input"`
	Output string `json:"output"`
	Data   any    `json:"data"`
	Ok     bool   `json:"ok"`
	// What Go's package did with it: its output, or its error.
	GoOutput string `json:"goOutput"`
	GoError  string `json:"goError"`
}

func dumpFuncs() FuncMap {
	return FuncMap{
		"add":         add,
		"count":       count,
		"dddArg":      dddArg,
		"die":         func() bool { panic("die") },
		"echo":        echo,
		"makemap":     makemap,
		"mapOfThree":  mapOfThree,
		"oneArg":      oneArg,
		"returnInt":   returnInt,
		"stringer":    stringer,
		"twoArgs":     twoArgs,
		"typeOf":      typeOf,
		"valueString": valueString,
		"vfunc":       vfunc,
		"zeroArgs":    zeroArgs,
	}
}

func runExec(tests []execTest, set *Template) []execCase {
	var cases []execCase
	for _, test := range tests {
		c := execCase{Name: test.name, Input: test.input, Output: test.output, Data: describe(test.data), Ok: test.ok}
		var tmpl *Template
		var err error
		if set == nil {
			tmpl, err = New(test.name).Funcs(dumpFuncs()).Parse(test.input)
		} else {
			tmpl, err = set.New(test.name).Funcs(dumpFuncs()).Parse(test.input)
		}
		if err != nil {
			c.GoError = err.Error()
		} else {
			var b bytes.Buffer
			func() {
				defer func() {
					if r := recover(); r != nil {
						c.GoError = fmt.Sprint("panic: ", r)
					}
				}()
				if err := tmpl.Execute(&b, test.data); err != nil {
					c.GoError = err.Error()
				}
			}()
			c.GoOutput = b.String()
		}
		cases = append(cases, c)
	}
	return cases
}

func TestDumpTables(t *testing.T) {
	dumpJSON(t, "exec.json", runExec(execTests, nil))

	set, err := New("root").Parse(multiText1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := set.Parse(multiText2); err != nil {
		t.Fatal(err)
	}
	dumpJSON(t, "multi-exec.json", map[string]any{"set": []string{multiText1, multiText2}, "cases": runExec(multiExecTests, set)})

	type multiParseCase struct {
		Name    string   `json:"name"`
		Input   string   `json:"input"`
		Ok      bool     `json:"ok"`
		Names   []string `json:"names"`
		Results []string `json:"results"`
	}
	var multiParse []multiParseCase
	for _, test := range multiParseTests {
		multiParse = append(multiParse, multiParseCase{test.name, test.input, test.ok, test.names, test.results})
	}
	dumpJSON(t, "multi-parse.json", multiParse)

	// TestComparison's table, run on its struct.
	type cmpCase struct {
		Expr    string `json:"expr"`
		Truth   string `json:"truth"`
		Ok      bool   `json:"ok"`
		GoError string `json:"goError"`
	}
	b := new(bytes.Buffer)
	var cmpStruct = struct {
		Uthree, Ufour    uint
		NegOne, Three    int
		Ptr, NilPtr      *int
		NonNilMap        map[int]int
		Map              map[int]int
		V1, V2           V
		Iface1, NilIface fmt.Stringer
	}{Uthree: 3, Ufour: 4, NegOne: -1, Three: 3, Ptr: new(int), NonNilMap: make(map[int]int), Iface1: b}
	var cmps []cmpCase
	for _, test := range cmpTests {
		c := cmpCase{Expr: test.expr, Truth: test.truth, Ok: test.ok}
		tmpl, err := New("empty").Parse(fmt.Sprintf("{{if %s}}true{{else}}false{{end}}", test.expr))
		if err != nil {
			c.GoError = err.Error()
		} else if err := tmpl.Execute(new(bytes.Buffer), &cmpStruct); err != nil {
			c.GoError = err.Error()
		}
		cmps = append(cmps, c)
	}
	dumpJSON(t, "comparison.json", cmps)
}
