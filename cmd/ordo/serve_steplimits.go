package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ordohq/ordo"
)

// maxServeLimits bounds the --limit flags of one server.
const maxServeLimits = 100

// parseStepLimits reads the --limit flags: NAME=N (N at once),
// NAME=N/PER (N starts per PER: s, m, h or a duration such as 500ms or
// 2s), or both separated by a comma (erp=5,10/s).
func parseStepLimits(specs []string) ([]ordo.Limit, error) {
	if len(specs) > maxServeLimits {
		return nil, fmt.Errorf("--limit: %d limits, at most %d", len(specs), maxServeLimits)
	}
	out := make([]ordo.Limit, 0, len(specs))
	for _, spec := range specs {
		l, err := parseStepLimit(spec)
		if err != nil {
			return nil, fmt.Errorf("--limit %q: %w", spec, err)
		}
		out = append(out, l)
	}
	return out, nil
}

func parseStepLimit(spec string) (ordo.Limit, error) {
	name, value, ok := strings.Cut(spec, "=")
	if !ok || value == "" {
		return ordo.Limit{}, fmt.Errorf("want NAME=N, NAME=N/s or NAME=N,M/s")
	}
	l := ordo.Limit{Name: name}
	for part := range strings.SplitSeq(value, ",") {
		n, per, isRate := strings.Cut(part, "/")
		v, err := strconv.Atoi(n)
		if err != nil {
			return l, fmt.Errorf("%q is not a whole number", n)
		}
		if !isRate {
			if l.Concurrency != 0 {
				return l, fmt.Errorf("concurrency given twice")
			}
			l.Concurrency = v
			continue
		}
		if l.Rate != 0 {
			return l, fmt.Errorf("rate given twice")
		}
		if l.Per, err = parsePer(per); err != nil {
			return l, err
		}
		l.Rate = v
	}
	if err := l.Validate(); err != nil {
		return l, err
	}
	return l, nil
}

// parsePer reads a rate's window: s, m, h, or a Go duration.
func parsePer(s string) (time.Duration, error) {
	switch s {
	case "s":
		return time.Second, nil
	case "m":
		return time.Minute, nil
	case "h":
		return time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("window %q: want s, m, h or a duration such as 500ms", s)
	}
	return d, nil
}
