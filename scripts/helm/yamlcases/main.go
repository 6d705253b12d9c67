// Writes toYaml and toJson cases as Helm computes them (json.Marshal, then
// go-yaml v2 reading and writing the JSON, as sigs.k8s.io/yaml does), for
// SerinHelmTests. Inputs are random but seeded: the same file every run.
// Built with Debian's golang-go and golang-gopkg-yaml.v2-dev (see yaml-cases.sh).
package main

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"strings"

	yaml "gopkg.in/yaml.v2"
)

var words = []string{
	"", " ", "a", "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "1", "-1", "0x1F", "010", "1e3",
	"1.5", ".5", "1_000", "2024-01-02", "2024-01-02T10:00:00Z", "12:30", "1:20:30", "-", "- a", "a: b", "a:b", "#x", "a #b",
	"a# b", "[x]", "{x}", "&a", "*a", "!tag", "|", ">", "'q'", "\"q\"", "%", "@", "`", "?", "? x", ": x", "x:", "---", "...",
	"é", "日本", "😀", "tab\there", "line\nbreak", "trailing\n", "two\n\n", "\nleading", " leading", "trailing ", "a  b",
	"cr\rx", "bell\a", "nbsp\u00a0x", "ls\u2028x", "<html>&amp;", "back\\slash", "it's", "\"quoted\"",
	"a long line with many words that goes well beyond eighty columns so that the emitter has to fold it somewhere",
	"averyveryverylongwordwithoutanyspacesthatisdefinitelylongerthaneightycolumnsintotalandthensome ok",
	"key10", "key9", "key1", "Key", "_x", "x_1", "x-2", "a.b", "A", "b", "B1", "b01", "b001", "b10",
}

func value(r *rand.Rand, depth int) interface{} {
	switch k := r.Intn(10); {
	case depth > 3 || k < 4:
		switch r.Intn(8) {
		case 0:
			return nil
		case 1:
			return r.Intn(2) == 0
		case 2:
			return float64(r.Intn(2000000) - 1000)
		case 3:
			return []float64{1e21, 1e20, 1e-7, 1e-6, 0.1, 1.5, 123456789, 1e6, 100000, -0.25, 3.14159265358979}[r.Intn(11)]
		default:
			return words[r.Intn(len(words))]
		}
	case k < 7:
		m := map[string]interface{}{}
		for i := r.Intn(5); i > 0; i-- {
			m[words[r.Intn(len(words))]] = value(r, depth+1)
		}
		return m
	default:
		var l []interface{}
		for i := r.Intn(4); i > 0; i-- {
			l = append(l, value(r, depth+1))
		}
		if l == nil {
			return []interface{}{}
		}
		return l
	}
}

func toYAML(v interface{}) (string, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	var obj interface{}
	if err := yaml.Unmarshal(j, &obj); err != nil {
		return "", err
	}
	y, err := yaml.Marshal(obj)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(y), "\n"), nil
}

func main() {
	r := rand.New(rand.NewSource(20261207))
	var cases []map[string]interface{}
	for i := 0; i < 400; i++ {
		v := value(r, 0)
		if i < len(words) {
			v = map[string]interface{}{"v": words[i], words[i]: "k"}
		}
		in, err := json.Marshal(v)
		if err != nil {
			continue
		}
		y, err := toYAML(v)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			continue
		}
		cases = append(cases, map[string]interface{}{"input": string(in), "yaml": y, "json": string(in)})
	}
	out, _ := json.MarshalIndent(cases, "", " ")
	os.Stdout.Write(append(out, '\n'))
}
