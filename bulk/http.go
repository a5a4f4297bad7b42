package bulk

import (
	"errors"
	"net/http"

	"github.com/ordohq/ordo/api"
)

// CodeTooMany (409): a bulk job's filter selects more instances than one
// job may act on.
const CodeTooMany = "too_many_instances"

// Routes adds the bulk endpoints to srv. Starting a job (or its dry run)
// needs the operate scope, reading jobs read:
//
//	POST /v1/instances/bulk   {"action", "filter", "reason", "fromStep", "dryRun"}
//	POST /v1/orders/bulk      the same with an order filter (with Config.Orders)
//	GET  /v1/bulk[?limit=&cursor=]
//	GET  /v1/bulk/{id}
//
// A dry run answers 200 with a Preview; a job answers 202 with the Job.
func (s *Service) Routes(srv *api.Server) {
	srv.Handle("POST /v1/instances/bulk", s.handleStart(SourceInstances))
	if _, ok := s.sources[SourceOrders]; ok {
		srv.Handle("POST /v1/orders/bulk", s.handleStart(SourceOrders))
	}
	srv.Handle("GET /v1/bulk", s.handleList)
	srv.Handle("GET /v1/bulk/{id}", s.handleGet)
}

func (s *Service) handleStart(src string) api.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req Request
		if err := api.DecodeJSON(r, &req, false); err != nil {
			return err
		}
		if req.DryRun {
			pv, err := s.DryRun(r.Context(), src, &req)
			if err != nil {
				return err
			}
			api.WriteJSON(w, http.StatusOK, pv)
			return nil
		}
		j, err := s.Start(r.Context(), src, &req)
		var tm *TooManyError
		if errors.As(err, &tm) {
			return api.Errorf(http.StatusConflict, CodeTooMany, "%s", tm.Error())
		}
		if err != nil {
			return err
		}
		api.WriteJSON(w, http.StatusAccepted, j)
		return nil
	}
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) error {
	j, err := s.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, j)
	return nil
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) error {
	limit, err := api.ListLimit(r)
	if err != nil {
		return err
	}
	page, err := s.List(r.Context(), limit, r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, page)
	return nil
}
