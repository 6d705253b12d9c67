// Writes Sprig function cases as Sprig (Debian's golang-github-masterminds-sprig-dev)
// and Go's text/template compute them, on data decoded from JSON as Helm's
// values are (numbers are float64), with Helm's missingkey=zero, for
// SerinHelmTests. See sprig-cases.sh.
package main

import (
	"encoding/json"
	"os"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

var data = `{"s":"Hello World","n":3,"f":2.5,"big":1000000,"list":["b","a","c","a"],"nums":[3,1,2],
"m":{"a":1,"b":{"c":"d"},"e":null},"m2":{"b":{"x":"y"},"z":true},"empty":"","zero":0,"yes":true,"no":false,
"v":"1.20.3","path":"/a/b/../c/file.tar.gz","csv":"a,b,,c","spaces":"  padded  ","multi":"a\nb\nc"}`

var templates = []string{
	`{{ trunc 5 .s }}`, `{{ trunc -5 .s }}`, `{{ trimSuffix "ld" .s }}`, `{{ trimPrefix "He" .s }}`, `{{ trim .spaces }}`,
	`{{ trimAll "H" .s }}`, `{{ upper .s }}`, `{{ lower .s }}`, `{{ title "hello wide world" }}`, `{{ untitle .s }}`,
	`{{ repeat 3 "ab" }}`, `{{ substr 1 4 .s }}`, `{{ nospace .s }}`, `{{ abbrev 8 .s }}`, `{{ initials .s }}`,
	`{{ contains "World" .s }}`, `{{ hasPrefix "Hell" .s }}`, `{{ hasSuffix "x" .s }}`, `{{ quote .s .n nil }}`, `{{ squote .s }}`,
	`{{ cat .s .n .f }}`, `{{ indent 2 .multi }}`, `{{ nindent 2 .multi }}`, `{{ replace "l" "L" .s }}`, `{{ plural "one" "many" 2 }}`,
	`{{ snakecase "HelloWorld" }}`, `{{ camelcase "hello_world" }}`, `{{ kebabcase "HelloWorld" }}`, `{{ swapcase .s }}`,
	`{{ toString .n }}`, `{{ toString .f }}`, `{{ toStrings .nums }}`, `{{ split "," .csv }}`, `{{ splitList "," .csv }}`,
	`{{ splitn "," 2 .csv }}`, `{{ join "-" .list }}`, `{{ sortAlpha .list }}`, `{{ regexMatch "^H.*d$" .s }}`,
	`{{ regexFind "[a-z]+" .s }}`, `{{ regexFindAll "l+" .s -1 }}`, `{{ regexReplaceAll "o(.)" .s "0${1}" }}`,
	`{{ regexReplaceAllLiteral "o" .s "$1" }}`, `{{ regexSplit "o" .s -1 }}`, `{{ regexQuoteMeta "a.b*c" }}`,
	`{{ atoi "42" }}`, `{{ int .f }}`, `{{ int64 .big }}`, `{{ float64 "1.5" }}`, `{{ int "0x1F" }}`, `{{ typeOf .n }}`, `{{ typeOf (int .n) }}`,
	`{{ kindOf .m }}`, `{{ kindIs "slice" .list }}`, `{{ default "dflt" .empty }}`, `{{ default "dflt" .zero }}`, `{{ default "dflt" .s }}`,
	`{{ default "dflt" .missing }}`, `{{ empty .zero }}`, `{{ empty .m }}`, `{{ coalesce .empty .zero .s }}`, `{{ all .s .n }}`, `{{ any .empty .zero }}`,
	`{{ ternary "a" "b" .yes }}`, `{{ ternary "a" "b" .no }}`, `{{ list 1 "a" .f }}`, `{{ append .list "z" }}`, `{{ prepend .list "z" }}`,
	`{{ first .list }}`, `{{ last .list }}`, `{{ rest .list }}`, `{{ initial .list }}`, `{{ reverse .list }}`, `{{ uniq .list }}`,
	`{{ without .list "a" }}`, `{{ has "a" .list }}`, `{{ compact (list "" "x" 0 nil "y") }}`, `{{ slice .list 1 3 }}`, `{{ concat .list .nums }}`,
	`{{ chunk 2 .list }}`, `{{ until 3 }}`, `{{ untilStep 0 10 3 }}`, `{{ seq 5 }}`, `{{ seq 2 5 }}`, `{{ seq 0 2 10 }}`,
	`{{ dict "a" 1 "b" "two" }}`, `{{ get .m "a" }}`, `{{ get .m "missing" }}`, `{{ hasKey .m "b" }}`, `{{ keys .m | sortAlpha }}`,
	`{{ pick .m "a" "x" }}`, `{{ omit .m "a" }}`, `{{ pluck "a" .m (dict "a" 2) }}`, `{{ $d := dict "x" 1 }}{{ $_ := set $d "y" 2 }}{{ $d }}`,
	`{{ $d := dict "x" 1 "y" 2 }}{{ $_ := unset $d "y" }}{{ $d }}`, `{{ merge (deepCopy .m) .m2 }}`, `{{ mergeOverwrite (deepCopy .m) .m2 }}`,
	`{{ dig "b" "c" "none" .m }}`, `{{ dig "b" "x" "none" .m }}`, `{{ deepCopy .m }}`, `{{ add 1 2 .n }}`, `{{ add1 .f }}`, `{{ sub 10 .n }}`,
	`{{ mul 2 .n .f }}`, `{{ div 10 .n }}`, `{{ mod 10 .n }}`, `{{ max 1 5 .n }}`, `{{ min 4 .n 9 }}`, `{{ addf 1.5 .f }}`, `{{ subf 5 .f }}`,
	`{{ mulf .f 2 }}`, `{{ divf 10 4 }}`, `{{ maxf 1 .f }}`, `{{ minf 1 .f }}`, `{{ floor .f }}`, `{{ ceil .f }}`, `{{ round 2.555 2 }}`,
	`{{ b64enc .s }}`, `{{ b64dec "SGVsbG8=" }}`, `{{ b32enc .s }}`, `{{ b32dec "JBSWY3DP" }}`, `{{ sha1sum .s }}`, `{{ sha256sum .s }}`,
	`{{ adler32sum .s }}`, `{{ semverCompare ">=1.19-0" .v }}`, `{{ semverCompare "~1.20.0" .v }}`, `{{ semverCompare "^1.21" .v }}`,
	`{{ semverCompare ">1.20.3 || <1.0" .v }}`, `{{ (semver .v).Minor }}`, `{{ base .path }}`, `{{ dir .path }}`, `{{ clean .path }}`,
	`{{ ext .path }}`, `{{ isAbs .path }}`, `{{ duration 95 }}`, `{{ duration 3700 }}`, `{{ toJson .m }}`, `{{ toPrettyJson .m2 }}`,
	`{{ toRawJson (dict "a" "<b>") }}`, `{{ wrap 5 "a long sentence here" }}`, `{{ wrapWith 5 "|" "a long sentence here" }}`,
	`{{ printf "%d" .n }}`, `{{ printf "%v %s" .f .s }}`, `{{ .big }}`, `{{ .f }}`, `{{ .m.e }}`, `{{ .m.missing }}`,
	`{{ toString .m.e }}`, `{{ eq .n 3.0 }}`, `{{ len .list }}`, `{{ index .m "a" }}`, `{{ trunc (int .n) .s }}`,
	`{{ trunc .n .s }}`, `{{ repeat .n "x" }}`, `{{ lt .f 3.0 }}`,
}

func main() {
	var values interface{}
	if err := json.Unmarshal([]byte(strings.ReplaceAll(data, "\n", "")), &values); err != nil {
		panic(err)
	}
	var cases []map[string]string
	for _, text := range templates {
		c := map[string]string{"template": text}
		t, err := template.New("t").Funcs(sprig.TxtFuncMap()).Option("missingkey=zero").Parse(text)
		if err != nil {
			c["error"] = err.Error()
		} else {
			var b strings.Builder
			if err := t.Execute(&b, values); err != nil {
				c["error"] = err.Error()
			} else {
				c["output"] = strings.ReplaceAll(b.String(), "<no value>", "")
			}
		}
		cases = append(cases, c)
	}
	out, _ := json.MarshalIndent(map[string]interface{}{"data": data, "cases": cases}, "", " ")
	os.Stdout.Write(append(out, '\n'))
}
