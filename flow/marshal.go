package flow

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// definitionJSON and stepJSON fix the field order of the written form.
type definitionJSON struct {
	Description string     `json:"description,omitempty"`
	Triggers    []*Trigger `json:"triggers,omitempty"`
	Steps       []stepJSON `json:"steps"`
	// CancelStatus and AllowCancel come last so that flows without them
	// keep their canonical form (and hash).
	CancelStatus string `json:"cancelStatus,omitempty"`
	AllowCancel  bool   `json:"allowCancelAfterCompletion,omitempty"`
	// Retention comes last for the same reason.
	Retention *millis `json:"retention,omitempty"`
	// Concurrency comes last for the same reason.
	Concurrency *concurrencyJSON `json:"concurrency,omitempty"`
}

type stepJSON struct {
	ID            string          `json:"stepDefinitionId"`
	Type          StepType        `json:"type"`
	SuccessStatus string          `json:"successStatus"`
	Options       json.RawMessage `json:"options"`
	Timeout       millis          `json:"timeout,omitempty"`
	OnSuccess     string          `json:"onSuccess,omitempty"`
	OnError       string          `json:"onError,omitempty"`
	Retries       *retriesJSON    `json:"retries,omitempty"`
	Limit         string          `json:"limit,omitempty"`
	OnCompensate  string          `json:"onCompensate,omitempty"`
}

type retriesJSON struct {
	Limit   *int   `json:"limit,omitempty"`
	Delay   millis `json:"delay,omitempty"`
	Backoff string `json:"backoff,omitempty"`
}

// millis writes a duration as an exact number of milliseconds.
type millis time.Duration

func (m millis) MarshalJSON() ([]byte, error) { return []byte(formatMillis(time.Duration(m))), nil }

// MarshalJSON writes the object form with the seed's field names:
// {"description":...,"steps":[{"stepDefinitionId":...,"type":...,
// "successStatus":...,"options":{...},"timeout":30000,...}]}. Timeouts and
// retry delays are numbers of milliseconds; unset optional fields are left
// out; options have sorted keys. The output is compact and is the canonical
// form (see Canonical); Parse reads it back to an equal Definition.
func (d Definition) MarshalJSON() ([]byte, error) {
	out := definitionJSON{Description: d.Description, Triggers: d.Triggers, Steps: make([]stepJSON, 0, len(d.Steps)),
		CancelStatus: d.CancelStatus, AllowCancel: d.AllowCancelAfterCompletion}
	if d.Retention != nil {
		r := millis(*d.Retention)
		out.Retention = &r
	}
	if c := d.Concurrency; c != nil {
		out.Concurrency = &concurrencyJSON{Key: c.Key, Limit: c.Limit}
	}
	for i, s := range d.Steps {
		if s == nil {
			return nil, fmt.Errorf("flow: marshal definition: step %d is nil", i)
		}
		sj, err := s.toJSON()
		if err != nil {
			return nil, err
		}
		out.Steps = append(out.Steps, sj)
	}
	return compactJSON(out)
}

// MarshalJSON writes the step as one element of the seed's array, with the
// same conventions as Definition.MarshalJSON.
func (s StepDefinition) MarshalJSON() ([]byte, error) {
	sj, err := s.toJSON()
	if err != nil {
		return nil, err
	}
	return compactJSON(sj)
}

func (s *StepDefinition) toJSON() (stepJSON, error) {
	opts, err := canonicalOptions(s.Options)
	if err != nil {
		return stepJSON{}, fmt.Errorf("flow: marshal step %q: options: %w", s.ID, err)
	}
	sj := stepJSON{
		ID:            s.ID,
		Type:          s.Type,
		SuccessStatus: s.SuccessStatus,
		Options:       opts,
		Timeout:       millis(s.Timeout),
		OnSuccess:     s.OnSuccess,
		OnError:       s.OnError,
		OnCompensate:  s.OnCompensate,
		Limit:         s.Limit,
	}
	if !s.Retries.isZero() {
		sj.Retries = &retriesJSON{Limit: s.Retries.Limit, Delay: millis(s.Retries.Delay), Backoff: s.Retries.Backoff}
	}
	return sj, nil
}

// canonicalOptions re-encodes raw options with sorted keys and no
// insignificant whitespace; empty options are written as {}.
func canonicalOptions(raw json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return json.RawMessage("{}"), nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the options object")
	}
	return compactJSON(v)
}

// UnmarshalJSON parses data with Parse, so that a Definition decoded with
// encoding/json is always valid. An invalid document returns the
// *ValidationError and leaves d unchanged.
func (d *Definition) UnmarshalJSON(data []byte) error {
	res, err := Parse(data)
	if err != nil {
		return err
	}
	*d = *res.Definition
	return nil
}

// Canonical returns the canonical JSON of d: the compact object form written
// by MarshalJSON, with a fixed field order, sorted option keys and durations
// in milliseconds. Two documents that differ only in whitespace, key order,
// array versus object form, null versus absent optional fields, or how a
// duration is written ("30s" or 30000) have the same canonical form. It
// fails only when d is nil, has a nil step, or has options that are not
// JSON.
func Canonical(d *Definition) ([]byte, error) {
	if d == nil {
		return nil, errors.New("flow: canonical form of a nil definition")
	}
	return d.MarshalJSON()
}

// Hash returns the hex SHA-256 of Canonical(d): equal hashes mean identical
// content, so applying a flow whose hash matches the stored version is a
// no-op. It returns "" when Canonical fails.
func Hash(d *Definition) string {
	b, err := Canonical(d)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
