package order

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/artifact"
)

// OpenFile opens a production file of an order for reading, with its
// record. An unknown order or a name the order has no file under wraps
// ordo.ErrNotFound. The caller closes the reader.
func (s *Service) OpenFile(ctx context.Context, orderID, name string) (io.ReadCloser, *File, error) {
	f, err := s.fileRecord(ctx, orderID, name)
	if err != nil {
		return nil, nil, err
	}
	rc, err := s.openFile(ctx, fileKey(orderID, name))
	if err != nil {
		return nil, nil, fmt.Errorf("open file %q of order %q: %w", name, orderID, err)
	}
	return rc, f, nil
}

// fileRecord returns the record of the order's file name. An unknown order
// or a name the order has no file under wraps ordo.ErrNotFound.
func (s *Service) fileRecord(ctx context.Context, orderID, name string) (*File, error) {
	o, err := s.GetOrder(ctx, orderID)
	if err != nil {
		return nil, err
	}
	for i := range o.Files {
		if f := &o.Files[i]; f.Name == name {
			return f, nil
		}
	}
	return nil, fmt.Errorf("%w: order %q has no file %q", ordo.ErrNotFound, orderID, name)
}

// openFile opens the artifact stored under key.
func (s *Service) openFile(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, _, err := s.cfg.Artifacts.Open(ctx, key)
	if errors.Is(err, artifact.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", ordo.ErrNotFound, err)
	}
	return rc, err
}

// readFile reads the artifact stored under key whole.
func (s *Service) readFile(ctx context.Context, key string) ([]byte, error) {
	rc, err := s.openFile(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}
