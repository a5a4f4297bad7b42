package email_test

import "strings"

// hostileTemplates are templates written to exhaust memory or CPU. Each is
// refused by Parse or stopped by a bound; they seed FuzzRender and run
// under a memory ceiling in TestHostileTemplatesUnderMemoryCeiling.
var hostileTemplates = []string{
	// The template of issue 9: gigabytes of zeros.
	`{{range 5000}}{{printf "%0999999d" 0}}{{end}}`,
	`{{range 1000000000}}{{end}}`,
	`{{$n := 1000000000}}{{range $n}}{{end}}`,
	`{{printf "%*d" 999999 0}}`,
	`{{printf "%.999999f" 1.0}}`,
	`{{$f := "%0999999d"}}{{printf $f 0}}`,
	`{{printf "%100v" .Order.Items}}`,
	`{{define "a"}}{{template "a" .}}{{template "a" .}}{{end}}{{template "a" .}}`,
	`{{block "b" .}}{{template "b" .}}{{end}}`,
	`{{$t := .Order.CreatedAt}}{{range .Order.Items}}{{$t = $t.AddDate 1 0 0}}{{end}}`,
	`{{$l := "1"}}{{range .Order.Items}}{{$l = date $l $.Order.CreatedAt}}{{$l = print $l $l}}{{end}}`,
	// Loops nested over the data that write nothing.
	`{{range .Order.Items}}{{range $.Order.Items}}{{range $.Order.Items}}{{range $.Order.Items}}{{end}}{{end}}{{end}}{{end}}`,
	`{{range .Order.Items}}{{range len $.Order.Metadata.blob}}{{end}}{{end}}`,
	// Strings that double.
	`{{$a := .Order.Customer.Name}}{{range .Order.Items}}{{$a = print $a $a}}{{end}}{{$a}}`,
	`{{$a := .Order.Metadata.blob}}` + strings.Repeat(`{{$a = print $a $a}}`, 40) + `{{len $a}}`,
	`{{$a := "<>"}}` + strings.Repeat(`{{$a = html $a $a}}`, 40),
	`{{js (js (js (js (js (js (js (js .Order.Metadata.blob)))))))}}`,
	`{{urlquery (urlquery (urlquery (urlquery (urlquery .Order.Metadata.blob))))}}`,
	`{{range .Order.Items}}{{printf "%100s" $.Order.Metadata.blob}}{{end}}`,
	`{{range .Order.Items}}{{println $.Order $.Order $.Order}}{{end}}`,
	// Output far past the cap.
	`{{range .Order.Items}}{{$.Order}}{{end}}`,
	`{{range .Order.Items}}{{range $.Order.Items}}{{$.Order.Metadata.blob}}{{end}}{{end}}`,
	// Deep nesting.
	strings.Repeat(`{{if .}}`, 150_000) + `x` + strings.Repeat(`{{end}}`, 150_000),
	strings.Repeat(`{{if .}}`, 900) + `{{range .Order.Items}}{{range $.Order.Items}}{{range $.Order.Items}}{{end}}{{end}}{{end}}` + strings.Repeat(`{{end}}`, 900),
	strings.Repeat(`{{range $.Order.Items}}`, 50) + `x` + strings.Repeat(`{{end}}`, 50),
	`{{call .Order.ID}}`,
}
