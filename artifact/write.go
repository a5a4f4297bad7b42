package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// errPutEnded is what write sees when the store stopped reading before
// write finished.
var errPutEnded = errors.New("artifact: the store stopped reading")

// Write stores under name what write writes, streaming it to s.Put
// through a pipe: the content is never held whole in memory, so a file of
// hundreds of megabytes costs what the encoder and the store buffer. If
// write fails, the store sees the error instead of the end of the content
// and keeps nothing new (Put stores whole contents only), and Write
// returns write's error; otherwise it returns Put's.
func Write(ctx context.Context, s Store, name string, write func(io.Writer) error) (*Info, error) {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := write(pw)
		pw.CloseWithError(err) // nil: the reader sees io.EOF
		done <- err
	}()
	inf, err := s.Put(ctx, name, pr)
	pr.CloseWithError(errPutEnded) // unblocks write if Put returned early
	werr := <-done
	switch {
	case werr != nil && !errors.Is(werr, errPutEnded):
		return nil, fmt.Errorf("artifact: write %q: %w", name, werr)
	case err != nil:
		return nil, err
	case werr != nil:
		return nil, fmt.Errorf("artifact: write %q: the store returned before the end of the content", name)
	}
	return inf, nil
}
