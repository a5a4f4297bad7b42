package flow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrWrongStepType is returned (wrapped) by RestOptions, EmailOptions and
// FilesOptions when the step is of another type.
var ErrWrongStepType = errors.New("flow: options of another step type")

// RestOptions are the options of a consume-rest-api step.
type RestOptions struct {
	// URI is "uri": the absolute http(s) URL the order is POSTed to.
	URI string `json:"uri"`
}

// EmailOptions are the options of a send-email step. Recipients, Subject and
// Message may be Go templates, executed with package steps/email (which
// Parse uses to check them).
type EmailOptions struct {
	// Recipients is "recipients": e-mail addresses (net/mail syntax) or
	// templates that produce one, at least one.
	Recipients []string `json:"recipients"`
	// Subject is "subject", never empty.
	Subject string `json:"subject"`
	// Message is "message": the body, never empty.
	Message string `json:"message"`
	// AttachProductionFiles is "attachProductionFiles": attach the files of
	// the order's production files step. Default false.
	AttachProductionFiles bool `json:"attachProductionFiles"`
}

// FilesOptions are the options of a generate-production-files step.
type FilesOptions struct {
	// FileFormat is "fileFormat": "stl" or "obj". Default "stl".
	FileFormat string `json:"fileFormat"`
}

// RestOptions decodes the options of a consume-rest-api step.
func (s *StepDefinition) RestOptions() (*RestOptions, error) {
	var o RestOptions
	if err := s.decodeOptions(TypeConsumeRestAPI, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// EmailOptions decodes the options of a send-email step.
func (s *StepDefinition) EmailOptions() (*EmailOptions, error) {
	var o EmailOptions
	if err := s.decodeOptions(TypeSendEmail, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// FilesOptions decodes the options of a generate-production-files step,
// with FileFormat defaulting to "stl".
func (s *StepDefinition) FilesOptions() (*FilesOptions, error) {
	var o FilesOptions
	if err := s.decodeOptions(TypeGenerateProductionFiles, &o); err != nil {
		return nil, err
	}
	if o.FileFormat == "" {
		o.FileFormat = "stl"
	}
	return &o, nil
}

func (s *StepDefinition) decodeOptions(want StepType, dst any) error {
	if s.Type != want {
		return fmt.Errorf("step %q is of type %q, not %q: %w", s.ID, s.Type, want, ErrWrongStepType)
	}
	if len(s.Options) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(s.Options))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("step %q: decode %s options: %w", s.ID, want, err)
	}
	return nil
}
