package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// apiClient talks to a running `ordo serve`.
type apiClient struct {
	base string
	http *http.Client
	// key is the API key sent as "Authorization: Bearer <key>"; "" sends
	// none.
	key string
}

// clientFlags adds --server (ORDO_SERVER), --api-key (ORDO_API_KEY) and
// --json to a client command.
type clientFlags struct {
	server string
	apiKey string
	json   bool
}

func (c *clientFlags) add(cmd *cobra.Command) {
	def := "http://127.0.0.1:8080"
	if v := os.Getenv("ORDO_SERVER"); v != "" {
		def = v
	}
	cmd.PersistentFlags().StringVar(&c.server, "server", def, "URL of the Ordo server (ORDO_SERVER)")
	// The key's default is read in client(), so that help never shows it.
	cmd.PersistentFlags().StringVar(&c.apiKey, "api-key", "", "API key sent to the server (default ORDO_API_KEY)")
	cmd.PersistentFlags().BoolVar(&c.json, "json", false, "print JSON instead of tables")
}

func (c *clientFlags) client() *apiClient {
	key := c.apiKey
	if key == "" {
		key = os.Getenv("ORDO_API_KEY")
	}
	return &apiClient{base: strings.TrimRight(c.server, "/"), http: &http.Client{Timeout: 60 * time.Second},
		key: strings.TrimSpace(key)}
}

// apiError is an error answered by the server.
type apiError struct {
	Status  int
	Code    string
	Message string
	Details json.RawMessage
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code)
}

// do sends a request with an optional JSON body and decodes the JSON answer
// into out (unless nil). It returns the raw body too.
func (c *apiClient) do(ctx context.Context, method, path string, body any, out any) ([]byte, int, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return nil, 0, err
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, 0, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("cannot reach the Ordo server at %s (is `ordo serve` running? set --server or ORDO_SERVER): %w", c.base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, resp.StatusCode, err
	}
	if resp.StatusCode >= 400 {
		var env struct {
			Error struct {
				Code    string          `json:"code"`
				Message string          `json:"message"`
				Details json.RawMessage `json:"details"`
			} `json:"error"`
		}
		if json.Unmarshal(raw, &env) == nil && env.Error.Code != "" {
			msg := env.Error.Message
			if resp.StatusCode == http.StatusUnauthorized && c.key == "" {
				msg += " (the server requires an API key: set ORDO_API_KEY or --api-key)"
			}
			return raw, resp.StatusCode, &apiError{Status: resp.StatusCode, Code: env.Error.Code, Message: msg, Details: env.Error.Details}
		}
		return raw, resp.StatusCode, &apiError{Status: resp.StatusCode, Code: "http", Message: strings.TrimSpace(string(raw))}
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return raw, resp.StatusCode, fmt.Errorf("decode answer of %s %s: %w", method, path, err)
		}
	}
	return raw, resp.StatusCode, nil
}

// printJSON writes raw JSON indented.
func printJSON(w io.Writer, raw []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		_, err = w.Write(raw)
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// readFileArg reads a file argument, "-" meaning standard input.
func readFileArg(cmd *cobra.Command, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(cmd.InOrStdin())
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return b, nil
}
