package email_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/steps/email"
)

func ExampleNew() {
	s, err := email.New(email.Config{
		URL:  "smtp://shop:secret@mail.example.com?tls=mandatory",
		From: "Shop <shop@example.com>",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Server())

	_, err = email.New(email.Config{URL: "smtp://mail.example.com", From: "shop"})
	fmt.Println(err)
	// Output:
	// smtp://mail.example.com:587
	// email: Config.From "shop": mail: missing '@' or angle-addr
}

func ExampleMessageID() {
	fmt.Println(email.MessageID("0198c3f2-7a1b", "notify-customer", "shop.example.com"))
	fmt.Println(email.MessageID("order/42", "ship.mail", ""))
	// Output:
	// 0198c3f2-7a1b.notify-customer@shop.example.com
	// order=2F42.ship=2Email@ordo
}

func ExampleRender() {
	data := map[string]any{
		"Order": map[string]any{"ID": "o-1", "Customer": map[string]any{"Email": "ada@example.com"}},
	}
	ctx := context.Background() // the step's context in a step
	subject, _ := email.Render(ctx, "subject", "Order {{.Order.ID}} has shipped", data, nil)
	fmt.Println(subject)

	plain, _ := email.Render(ctx, "body", "Thank you for shopping with us.", data, nil)
	fmt.Println(plain)

	_, err := email.Render(ctx, "body", "Hello {{.Order.Customer.Name}}", data, nil)
	fmt.Println(err)

	// A bound exceeded fails the step without retry.
	_, err = email.Render(ctx, "body", "{{range .Order.ID}}{{end}}", data, nil)
	fmt.Println(err)
	_, err = email.Render(ctx, "body", "{{.Order.ID}}{{.Order.ID}}", data, &email.Limits{MaxOutput: 4})
	fmt.Println(err, ordo.IsNonRetryable(err))
	// Output:
	// Order o-1 has shipped
	// Thank you for shopping with us.
	// email: template body: template: body:1:14: executing "body" at <.Order.Customer.Name>: map has no entry for key "Name"
	// email: template body: template: body:1:14: executing "body" at <.Order.ID>: range can't iterate over o-1
	// email: template body exceeded its output bound of 4 bytes (Limits.MaxOutput) true
}

// How a step tells the outcomes of Send apart. Here the message is invalid,
// so Send fails before connecting.
func ExampleSender_Send() {
	s, _ := email.New(email.Config{URL: "smtp://mail.example.com", From: "Shop <shop@example.com>"})
	err := s.Send(context.Background(), &email.Message{
		To:        []string{"ada@example"},
		Subject:   "Line\nbreak",
		MessageID: email.MessageID("inst-1", "notify", "shop.example.com"),
	})
	var se *email.SendError
	fmt.Println(errors.As(err, &se), se.Permanent, ordo.IsNonRetryable(err), errors.Is(err, ordo.ErrInvalidArgument))
	fmt.Println(err)
	// Output:
	// true true true true
	// email: sending to ada@example via smtp://mail.example.com:25: invalid message: subject contains a line break: ordo: invalid argument
}
