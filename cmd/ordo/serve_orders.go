package main

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo/artifact"
	"github.com/ordohq/ordo/flow"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/outbound"
	"github.com/ordohq/ordo/steps/email"
	"github.com/ordohq/ordo/steps/rest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/webhook"
)

func init() {
	serveExtensions = append(serveExtensions, func() serveExtension { return &ordersExtension{} })
}

// ordersExtension adds order flows and orders to `ordo serve`: the
// /v1/flows and /v1/orders routes, the step types' settings, and flows
// loaded from a directory at start.
type ordersExtension struct {
	flowsDir      string
	flowsOverride bool
	smtpURL       string
	mailFrom      string
	signingSecret string
	ordoSignature bool
	outboundAllow []string
	outboundDeny  []string
	limits        order.Limits
	mailTemplates email.Limits
}

func (x *ordersExtension) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&x.flowsDir, "flows", "", "directory of order flows to load at start: each DIR/NAME.json becomes flow NAME, applied as a new version when the file changed since it was last loaded")
	f.BoolVar(&x.flowsOverride, "flows-override", false, "with --flows, apply each file as a new version even when it did not change and the latest version, applied through the API, differs (which is otherwise kept, with a warning)")
	f.StringVar(&x.smtpURL, "smtp-url", "", "SMTP server of send-email steps, e.g. smtp://user:pass@mail.example.com or smtp://127.0.0.1:2525?tls=none")
	f.StringVar(&x.mailFrom, "mail-from", "", "sender address of send-email steps, e.g. \"Shop <shop@example.com>\"")
	f.IntVar(&x.mailTemplates.MaxOutput, "mail-template-max-bytes", email.DefaultMaxOutput, "most bytes one rendered recipient, subject or message of a send-email step may take; a template past it fails its step without retry")
	f.StringVar(&x.signingSecret, "signing-secret", "", "secret that signs the POSTs of consume-rest-api steps the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature): whsec_<base64 key>, or any other text used as the key as it is")
	f.BoolVar(&x.ordoSignature, "signing-ordo-header", false, "with --signing-secret, also send the older Ordo-Signature header (t=<unix>,v1=<hex>)")
	f.IntVar(&x.limits.MaxOrderItems, "max-order-items", order.DefaultMaxOrderItems, "most items one order may hold; a larger order is refused at create (400)")
	f.Int64Var(&x.limits.MaxTrianglesPerItem, "max-triangles-per-item", order.DefaultMaxTrianglesPerItem, "most triangles one item's mesh may have, estimated from its parameters; an order with a larger item is refused at create (400)")
	f.Int64Var(&x.limits.MaxFileBytesPerOrder, "max-file-bytes-per-order", order.DefaultMaxFileBytesPerOrder, "most bytes all production files of one order may take, estimated from the parameters; a larger order is refused at create (400)")
	f.StringSliceVar(&x.outboundAllow, "outbound-allow", nil, "hosts (erp.example.com, *.example.com), addresses and CIDRs flow steps may reach even when denied or refused by default (link-local, cloud metadata); repeat or separate with commas")
	f.StringSliceVar(&x.outboundDeny, "outbound-deny", nil, "hosts, addresses and CIDRs flow steps may not reach, e.g. 127.0.0.0/8,10.0.0.0/8 (loopback and private ranges are allowed by default); repeat or separate with commas")
}

func (x *ordersExtension) setup(ctx context.Context, s *serverParts) error {
	fs, ok := s.store.(store.FlowStore)
	if !ok {
		return fmt.Errorf("the %T store cannot keep flow versions", s.store)
	}
	files := s.artifacts // files under --data-dir, or in PostgreSQL with --postgres
	if files == nil {
		fsFiles, err := artifact.NewFS(filepath.Join(s.dataDir, "files"))
		if err != nil {
			return err
		}
		files = fsFiles
	}
	if x.mailTemplates.MaxOutput < 1 {
		return fmt.Errorf("--mail-template-max-bytes must be at least 1, got %d", x.mailTemplates.MaxOutput)
	}
	mailer, domain, err := x.mailer()
	if err != nil {
		return err
	}
	if mailer == nil {
		s.log.Warn("ordo: no --smtp-url: send-email steps will fail")
	}
	policy, err := x.outboundPolicy(s.addr)
	if err != nil {
		return err
	}
	var signingKey []byte
	if x.signingSecret != "" {
		if signingKey, err = webhook.KeyOf(x.signingSecret); err != nil {
			return fmt.Errorf("--signing-secret: %w", err)
		}
	}
	svc, err := order.New(order.Config{
		Engine: s.engine, Store: fs, Artifacts: files, Mailer: mailer, MailDomain: domain, TemplateLimits: x.mailTemplates,
		REST: &rest.Client{SigningSecret: signingKey, OrdoSignature: x.ordoSignature, Outbound: policy}, Logger: s.log,
		Limits: x.limits,
	})
	if err != nil {
		return err
	}
	svc.Routes(s.api)
	s.orders = svc
	startWebhooks(ctx, s, policy)
	if s.scheduler != nil {
		svc.ScheduleOrders(s.scheduler) // schedules with a flow target create orders
	}
	if x.flowsDir != "" {
		if err := applyFlowDir(ctx, svc, x.flowsDir, x.flowsOverride, s); err != nil {
			return err
		}
	}
	return svc.Start(ctx)
}

// outboundPolicy returns the policy of the flow steps' requests from
// --outbound-allow and --outbound-deny, refusing the server's own listen
// address.
func (x *ordersExtension) outboundPolicy(listen string) (*outbound.Policy, error) {
	p, err := outbound.New(outbound.Config{Allow: x.outboundAllow, Deny: x.outboundDeny})
	if err != nil {
		return nil, fmt.Errorf("--outbound-allow/--outbound-deny: %w", err)
	}
	if err := p.RefuseSelf(listen); err != nil {
		return nil, err
	}
	return p, nil
}

// mailer returns the SMTP sender configured by the flags (nil without
// --smtp-url) and the domain of --mail-from for Message-IDs.
func (x *ordersExtension) mailer() (*email.Sender, string, error) {
	if x.smtpURL == "" {
		return nil, "", nil
	}
	if x.mailFrom == "" {
		return nil, "", errors.New("--smtp-url needs --mail-from (ORDO_MAIL_FROM), the sender address")
	}
	m, err := email.New(email.Config{URL: x.smtpURL, From: x.mailFrom})
	if err != nil {
		return nil, "", fmt.Errorf("--smtp-url/--mail-from: %w", err)
	}
	domain := ""
	if a, err := mail.ParseAddress(x.mailFrom); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok {
			domain = d
		}
	}
	return m, domain, nil
}

// applyFlowDir loads every DIR/NAME.json as flow NAME, in name order, with
// order.Service.LoadFlowFile: a file is applied only when it changed since
// its last load, or with override. An invalid file stops the server with
// its problems listed.
func applyFlowDir(ctx context.Context, svc *order.Service, dir string, override bool, s *serverParts) error {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return fmt.Errorf("--flows %s: %w", dir, err)
	}
	if len(paths) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return fmt.Errorf("--flows: %w", err)
		}
		s.log.Warn("ordo: --flows directory holds no *.json files", "dir", dir)
	}
	sort.Strings(paths)
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("--flows: %w", err)
		}
		res, err := svc.LoadFlowFile(ctx, name, p, data, override)
		var ve *flow.ValidationError
		if errors.As(err, &ve) {
			lines := make([]string, len(ve.Problems))
			for i, pr := range ve.Problems {
				lines[i] = fmt.Sprintf("  %s: %s [%s]", p, pr, pr.Code)
			}
			return fmt.Errorf("--flows: %s is not a valid flow:\n%s", p, strings.Join(lines, "\n"))
		}
		if err != nil {
			return fmt.Errorf("--flows: apply %s: %w", p, err)
		}
		for _, w := range res.Warnings { // what the load did is logged by the service
			s.log.Warn("ordo: flow warning", "file", p, "warning", w.String())
		}
	}
	return nil
}
