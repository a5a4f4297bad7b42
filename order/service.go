package order

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/artifact"
	"github.com/ordohq/ordo/flow"
	"github.com/ordohq/ordo/steps/email"
	"github.com/ordohq/ordo/steps/rest"
	"github.com/ordohq/ordo/store"
)

// Config configures a Service.
type Config struct {
	// Engine runs the flows. Required.
	Engine *ordo.Engine
	// Store keeps the flow versions; usually the engine's store, which
	// must then implement store.FlowStore. Required.
	Store store.FlowStore
	// Artifacts keeps the production files. Required.
	Artifacts artifact.Store
	// REST sends the POSTs of consume-rest-api steps. Default: a zero
	// rest.Client (no signing).
	REST *rest.Client
	// Mailer sends the e-mails of send-email steps. Default nil: those
	// steps fail without retry, saying that no SMTP server is configured.
	Mailer *email.Sender
	// MailDomain is the right-hand side of the Message-IDs of e-mails.
	// Default email.DefaultMessageIDDomain.
	MailDomain string
	// TemplateLimits bound the rendering of each recipient, subject and
	// message of send-email steps (output size, loop iterations, time);
	// a template past a bound fails its step without retry. Zero fields
	// take email's defaults (256 KiB, 100,000 iterations, 5 s).
	TemplateLimits email.Limits
	// Limits bound what one order may cost: its number of items and the
	// size of its production files. Zero fields take the defaults.
	Limits Limits
	// Logger receives the service's logs. Default slog.Default().
	Logger *slog.Logger
	// SyncInterval is how often Start's loop registers flows that other
	// processes applied to the shared store. Default 5 s.
	SyncInterval time.Duration
	// TracerProvider makes the "mesh generate" span of each production
	// file, and the HTTP client spans of the default REST client. Default:
	// the global provider (otel.GetTracerProvider()).
	TracerProvider trace.TracerProvider
}

// Service runs order flows on an engine and serves orders and flow
// versions. Create it with New, register the stored flows with
// RegisterStoredFlows (or Start) before the engine starts, and add its
// HTTP routes with Routes.
type Service struct {
	cfg Config
	log *slog.Logger
	eng *ordo.Engine
	// reservation lets CreateOrder create instances of the flow workflows.
	reservation *ordo.Reservation

	mu         sync.Mutex
	registered map[string]bool              // flow names registered on the engine
	defs       map[flowKey]*flow.Definition // parsed versions, immutable
	triggers   map[string]flowTriggers      // subscribed flow triggers, by flow

	lifeMu   sync.Mutex
	stopLoop context.CancelFunc
	loopDone chan struct{}
}

// flowKey identifies one version of a flow.
type flowKey struct {
	name    string
	version int
}

// New validates cfg and returns a Service. It does not touch storage.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Engine == nil:
		return nil, fmt.Errorf("%w: order.Config.Engine is required", ordo.ErrInvalidArgument)
	case cfg.Store == nil:
		return nil, fmt.Errorf("%w: order.Config.Store is required", ordo.ErrInvalidArgument)
	case cfg.Artifacts == nil:
		return nil, fmt.Errorf("%w: order.Config.Artifacts is required", ordo.ErrInvalidArgument)
	case cfg.SyncInterval < 0:
		return nil, fmt.Errorf("%w: order.Config.SyncInterval must not be negative, got %s", ordo.ErrInvalidArgument, cfg.SyncInterval)
	}
	if err := cfg.TemplateLimits.Validate(); err != nil {
		return nil, fmt.Errorf("%w: order.Config.TemplateLimits: %w", ordo.ErrInvalidArgument, err)
	}
	if err := cfg.Limits.setDefaults(); err != nil {
		return nil, fmt.Errorf("%w: order.Config.Limits: %w", ordo.ErrInvalidArgument, err)
	}
	if cfg.REST == nil {
		cfg.REST = &rest.Client{TracerProvider: cfg.TracerProvider}
	}
	if cfg.MailDomain == "" {
		cfg.MailDomain = email.DefaultMessageIDDomain
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SyncInterval == 0 {
		cfg.SyncInterval = 5 * time.Second
	}
	// Orders are created through CreateOrder only, which validates them:
	// Engine.Create (and POST /v1/workflows/{name}/instances) refuses the
	// flow workflows without this reservation.
	reservation, err := cfg.Engine.ReservePrefix(workflowPrefix, "the workflows of order flows run orders; create orders with POST /v1/orders")
	if err != nil {
		return nil, fmt.Errorf("order: reserve the workflows %q: %w", workflowPrefix+"*", err)
	}
	s := &Service{
		cfg: cfg, log: cfg.Logger, eng: cfg.Engine, reservation: reservation,
		registered: map[string]bool{}, defs: map[flowKey]*flow.Definition{},
	}
	cfg.Engine.OnDelete(s.deleteFiles)
	return s, nil
}

// Start registers the stored flows on the engine, then keeps doing so every
// SyncInterval so that flows applied by other processes sharing the store
// start running here too, until Stop or until ctx is done. It returns once
// the first registration is done.
func (s *Service) Start(ctx context.Context) error {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.stopLoop != nil {
		return fmt.Errorf("order: service already started")
	}
	if err := s.RegisterStoredFlows(ctx); err != nil {
		return err
	}
	loopCtx, cancel := context.WithCancel(ctx)
	s.stopLoop, s.loopDone = cancel, make(chan struct{})
	go s.syncLoop(loopCtx, s.loopDone)
	return nil
}

// Stop ends the loop Start began. It is safe to call more than once, and
// without Start.
func (s *Service) Stop(ctx context.Context) error {
	s.lifeMu.Lock()
	cancel, done := s.stopLoop, s.loopDone
	s.lifeMu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Service) syncLoop(ctx context.Context, done chan struct{}) {
	defer close(done)
	clock := s.eng.Clock()
	for {
		t := clock.NewTimer(s.cfg.SyncInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		if err := s.RegisterStoredFlows(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("order: sync flow registrations", "err", err)
		}
	}
}
