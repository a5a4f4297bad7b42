package api

import (
	"errors"
	"net/http"

	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/store"
)

// keyRoutes adds the key endpoints (admin scope):
//
//	POST   /v1/keys          {"name": "...", "scope": "read|operate|admin"} → 201, the key shown once
//	GET    /v1/keys          every key, without the keys themselves
//	DELETE /v1/keys/{name}   revoke
func (s *Server) keyRoutes() {
	if s.cfg.Auth == nil {
		return
	}
	s.HandleScope("POST /v1/keys", auth.ScopeAdmin, s.createKey)
	s.HandleScope("GET /v1/keys", auth.ScopeAdmin, s.listKeys)
	s.HandleScope("DELETE /v1/keys/{name}", auth.ScopeAdmin, s.revokeKey)
}

// CreateKeyRequest is the body of POST /v1/keys.
type CreateKeyRequest struct {
	Name  string `json:"name"`
	Scope string `json:"scope"`
}

// CreatedKey is the answer to POST /v1/keys: the stored key and, this once,
// the key itself.
type CreatedKey struct {
	*store.APIKey
	Key string `json:"key"`
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request) error {
	var req CreateKeyRequest
	if err := DecodeJSON(r, &req, false); err != nil {
		return err
	}
	if req.Name == "" {
		return badRequest(CodeInvalidArgument, `field "name" is required`)
	}
	scope, err := auth.ParseScope(req.Scope)
	if err != nil {
		return badRequest(CodeInvalidArgument, `field "scope": `+err.Error())
	}
	by := ""
	if p, ok := auth.FromContext(r.Context()); ok {
		by = p.Name
	}
	key, k, err := s.cfg.Auth.CreateKey(r.Context(), req.Name, scope, by)
	if err != nil {
		return keyErr(err)
	}
	writeJSON(w, http.StatusCreated, CreatedKey{APIKey: k, Key: key})
	return nil
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	ks, err := s.cfg.Auth.ListKeys(r.Context())
	if err != nil {
		return keyErr(err)
	}
	if ks == nil {
		ks = []*store.APIKey{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": ks})
	return nil
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.cfg.Auth.RevokeKey(r.Context(), r.PathValue("name"))
	if err != nil {
		return keyErr(err)
	}
	writeJSON(w, http.StatusOK, k)
	return nil
}

func keyErr(err error) error {
	if errors.Is(err, auth.ErrNoKeyStore) {
		return Errorf(http.StatusNotImplemented, "not_implemented", "this server's storage keeps no API keys; use ORDO_API_KEY")
	}
	return err
}
