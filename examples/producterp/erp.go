package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/ordohq/ordo"
)

// HTTPERP talks to an ERP over HTTP: GET {Base}/products/{id} returns the
// ERP record; PUT {Base}/products/{id} replaces it and returns it.
type HTTPERP struct {
	Base   string
	Client *http.Client
}

// RetrieveProductErpDetails reads the ERP record of a product.
func (e *HTTPERP) RetrieveProductErpDetails(ctx context.Context, productID string) (ERPData, error) {
	return e.call(ctx, http.MethodGet, productID, nil)
}

// UpdateProductErpData replaces the ERP record of a product (a full
// replacement, so repeating it is harmless).
func (e *HTTPERP) UpdateProductErpData(ctx context.Context, productID string, data ERPData) (ERPData, error) {
	body, err := json.Marshal(data)
	if err != nil {
		return nil, ordo.NonRetryable(err)
	}
	return e.call(ctx, http.MethodPut, productID, body)
}

func (e *HTTPERP) call(ctx context.Context, method, productID string, body []byte) (ERPData, error) {
	u := e.Base + "/products/" + url.PathEscape(productID)
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, ordo.NonRetryable(err)
	}
	req.Header.Set("Content-Type", "application/json")
	c := e.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("erp %s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("erp %s %s: %w", method, u, err)
	}
	if resp.StatusCode >= 300 {
		err := fmt.Errorf("erp %s %s: %s: %s", method, u, resp.Status, bytes.TrimSpace(raw))
		if resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			return nil, ordo.NonRetryable(err)
		}
		return nil, err
	}
	var d ERPData
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("erp %s %s: decode: %w", method, u, err)
	}
	return d, nil
}
