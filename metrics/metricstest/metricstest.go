// Package metricstest helps tests read what a /metrics endpoint served:
// the value of one series, and `promtool check metrics` on the text.
package metricstest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Families is a parsed Prometheus text exposition.
type Families map[string]*dto.MetricFamily

// Parse parses text in the Prometheus text format, failing t on an error.
func Parse(t testing.TB, text string) Families {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parse metrics: %v\n%s", err, text)
	}
	return fams
}

// Value returns the value of the series of family name whose labels
// include labels (name=value pairs): a counter's or gauge's value, a
// histogram's sample count. No such series is 0 (a labelled counter
// appears at its first increment); more than one fails t.
func (f Families) Value(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	if len(labels)%2 != 0 {
		t.Fatalf("metricstest: labels of %s must be name, value pairs: %q", name, labels)
	}
	fam, ok := f[name]
	if !ok {
		return 0
	}
	var found []*dto.Metric
	for _, m := range fam.GetMetric() {
		if hasLabels(m, labels) {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 0:
		return 0
	case 1:
	default:
		t.Fatalf("metricstest: %d series of %s match %q", len(found), name, labels)
	}
	m := found[0]
	switch fam.GetType() {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	case dto.MetricType_HISTOGRAM:
		return float64(m.GetHistogram().GetSampleCount())
	case dto.MetricType_UNTYPED:
		return m.GetUntyped().GetValue()
	}
	t.Fatalf("metricstest: %s is a %s", name, fam.GetType())
	return 0
}

// Series lists the label sets of family name, one "k=v,k=v" string per
// series, sorted: for failure messages.
func (f Families) Series(name string) []string {
	var out []string
	for _, m := range f[name].GetMetric() {
		var kv []string
		for _, l := range m.GetLabel() {
			kv = append(kv, l.GetName()+"="+l.GetValue())
		}
		out = append(out, strings.Join(kv, ","))
	}
	sort.Strings(out)
	return out
}

func hasLabels(m *dto.Metric, labels []string) bool {
	for i := 0; i < len(labels); i += 2 {
		ok := false
		for _, l := range m.GetLabel() {
			if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// Promtool runs `promtool check metrics` on text and fails t on what it
// reports. Without promtool on PATH the check is skipped with a log line,
// except when CI=true: there its absence fails t (.ci/run installs
// Debian's prometheus package, which brings it).
func Promtool(t testing.TB, text string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("promtool not found (CI=true): install Debian's prometheus package: %v", err)
		}
		t.Logf("promtool not found; `promtool check metrics` skipped")
		return
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil || out.Len() > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out.String())
	}
}

// Describe formats a family's series for a failure message.
func (f Families) Describe(name string) string {
	return fmt.Sprintf("%s: %q", name, f.Series(name))
}
