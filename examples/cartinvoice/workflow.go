package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/steps/email"
	"github.com/ordohq/ordo/steps/rest"
)

// Params are the workflow's input: the cart to charge.
type Params struct {
	CartID string `json:"cartId"`
}

// Cart is a row of the shop's cart table.
type Cart struct {
	ID         string  `json:"id"`
	CheckedOut bool    `json:"checkedOut"`
	Amount     float64 `json:"amount"`
	Email      string  `json:"email"`
}

// Payment is what the payment step returns.
type Payment struct {
	Success bool    `json:"success"`
	Amount  float64 `json:"amount"`
}

// Receipt is the workflow's output.
type Receipt struct {
	CartID    string  `json:"cartId"`
	Amount    float64 `json:"amount"`
	InvoiceTo string  `json:"invoiceTo"`
}

// Deps are the services the steps use (the seed's Env).
type Deps struct {
	Carts         *sql.DB
	PaymentURL    string
	Payments      *rest.Client
	Mailer        *email.Sender
	MerchantEmail string
}

// errNotCheckedOut makes "retrieve cart" retry until the customer checks out.
var errNotCheckedOut = errors.New("cart hasn't been checked out yet")

// NewWorkflow is seed 000's cartInvoicesWorkflow: sleep, poll the cart
// until it is checked out, charge it, e-mail the invoice. Each step has the
// seed's retry limit, delay, backoff and timeout. It is started by every
// published "cart.created" event whose payload is its Params
// ({"cartId": "123"}), once per event ID.
func NewWorkflow(d *Deps) *ordo.Workflow[Params, Receipt] {
	return ordo.NewWorkflow("cart-invoices", func(ctx context.Context, p Params) (Receipt, error) {
		if err := ordo.Sleep(ctx, "sleep for a while", 10*time.Second); err != nil {
			return Receipt{}, err
		}

		// Retry every 2 minutes, 10 times, until the cart is checked out.
		cart, err := ordo.Do(ctx, "retrieve cart", &ordo.StepOptions{
			Retries: &ordo.RetryPolicy{Limit: 10, Delay: 2 * time.Minute, Backoff: ordo.BackoffConstant},
			Timeout: 30 * time.Second,
		}, func(ctx context.Context) (Cart, error) {
			var c Cart
			err := d.Carts.QueryRowContext(ctx, `SELECT id, checked_out, amount, email FROM cart WHERE id = ?`, p.CartID).
				Scan(&c.ID, &c.CheckedOut, &c.Amount, &c.Email)
			if errors.Is(err, sql.ErrNoRows) {
				return c, ordo.NonRetryable(fmt.Errorf("cart %q does not exist", p.CartID))
			}
			if err != nil {
				return c, err
			}
			if !c.CheckedOut {
				return c, errNotCheckedOut
			}
			return c, nil
		})
		if err != nil {
			return Receipt{}, err
		}

		// Charge the cart; retry 10 times every minute. The idempotency key
		// lets the processor drop a repeated charge.
		payment, err := ordo.Do(ctx, "payment", &ordo.StepOptions{
			Retries: &ordo.RetryPolicy{Limit: 10, Delay: time.Minute, Backoff: ordo.BackoffConstant},
			Timeout: 30 * time.Second,
		}, func(ctx context.Context) (Payment, error) {
			info, _ := ordo.StepInfoFrom(ctx)
			body, _ := json.Marshal(map[string]any{"amount": cart.Amount})
			if _, err := d.Payments.Post(ctx, &rest.Request{URL: d.PaymentURL, Body: body, IdempotencyKey: info.IdempotencyKey}); err != nil {
				return Payment{}, fmt.Errorf("payment has failed: %w", err)
			}
			return Payment{Success: true, Amount: cart.Amount}, nil
		})
		if err != nil {
			return Receipt{}, err
		}

		// Send the invoice; retry 10 times every 5 minutes.
		_, err = ordo.Do(ctx, "send invoice", &ordo.StepOptions{
			Retries: &ordo.RetryPolicy{Limit: 10, Delay: 5 * time.Minute, Backoff: ordo.BackoffConstant},
			Timeout: 30 * time.Second,
		}, func(ctx context.Context) (bool, error) {
			info, _ := ordo.StepInfoFrom(ctx)
			err := d.Mailer.Send(ctx, &email.Message{
				To:        []string{cart.Email},
				Subject:   "Your invoice",
				Body:      fmt.Sprintf("Your invoice for %g has been paid. Your products will be shipped shortly.", payment.Amount),
				MessageID: email.MessageID(info.InstanceID, info.Key, "petshop.example"),
			})
			if err != nil {
				return false, fmt.Errorf("failed to send invoice: %w", err)
			}
			return true, nil
		})
		if err != nil {
			return Receipt{}, err
		}
		return Receipt{CartID: cart.ID, Amount: payment.Amount, InvoiceTo: cart.Email}, nil
	}).On("cart.created") // the seed's trigger: every cart created starts one instance
}

// OpenCarts opens (and creates) the shop's cart database.
func OpenCarts(ctx context.Context, path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS cart (
		id TEXT PRIMARY KEY, checked_out INTEGER NOT NULL DEFAULT 0,
		amount REAL NOT NULL, email TEXT NOT NULL)`); err != nil {
		db.Close()
		return nil, fmt.Errorf("create cart table: %w", err)
	}
	return db, nil
}
