package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Wakeups implements store.Waker with LISTEN on a connection of its own
// (not one of the pool's: a listening connection must stay with its
// listener). It delivers a value whenever a transaction that made work
// runnable commits, in any process using this schema: an instance created
// unclaimed or handed back, an event sent, an instance resumed or
// restarted. Deliveries are coalesced.
//
// When the connection fails (network loss, database restart) the listener
// logs it, reconnects with backoff and then delivers one wake-up, since
// notifications sent meanwhile are lost. The channel is closed when ctx
// ends or the store is closed. Wakeups itself fails only on a cancelled
// ctx: a database that is down at first is retried in the background.
func (s *Store) Wakeups(ctx context.Context) (<-chan struct{}, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	ch := make(chan struct{}, 1)
	conn, err := s.listen(ctx)
	if err != nil {
		s.log.Warn("postgres: wake-up listener cannot connect yet; retrying in the background", "err", err)
	}
	go func() {
		defer cancel()
		defer close(ch)
		s.listenLoop(ctx, conn, ch)
	}()
	go func() {
		// Closing the pool ends the listeners too.
		select {
		case <-ctx.Done():
		case <-s.closed:
			cancel()
		}
	}()
	return ch, nil
}

// listen opens a connection and subscribes it to the store's channel.
func (s *Store) listen(ctx context.Context) (*pgx.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, s.connCfg.Copy())
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(cctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		closeConn(conn)
		return nil, err
	}
	return conn, nil
}

// listenLoop forwards notifications to ch until ctx ends, reconnecting
// with backoff when the connection fails. conn may be nil (not connected
// yet).
func (s *Store) listenLoop(ctx context.Context, conn *pgx.Conn, ch chan struct{}) {
	defer func() {
		if conn != nil {
			closeConn(conn)
		}
	}()
	backoff := 100 * time.Millisecond
	for {
		if conn == nil {
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			var err error
			if conn, err = s.listen(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				backoff = min(2*backoff, 5*time.Second)
				s.log.Warn("postgres: wake-up listener reconnect failed", "err", err, "retry_in", backoff)
				continue
			}
			s.log.Info("postgres: wake-up listener reconnected")
			backoff = 100 * time.Millisecond
			signal(ch) // notifications sent while disconnected are lost
		}
		if _, err := conn.WaitForNotification(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("postgres: wake-up listener lost its connection; reconnecting", "err", err, "retry_in", backoff)
			closeConn(conn)
			conn = nil
			continue
		}
		signal(ch)
	}
}

// signal delivers a wake-up unless one is already pending.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}
