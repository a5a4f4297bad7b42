package email_test

import (
	"reflect"
	"strconv"
	"time"
)

// The data the tests render over, shaped like the order a send-email step
// sees (order.TemplateData), without importing package order.
type (
	testData struct {
		Order *testOrder
	}
	testOrder struct {
		ID         string
		Status     string
		Customer   testCustomer
		Items      []testItem
		Metadata   map[string]any
		CreatedAt  time.Time
		FinishedAt *time.Time
	}
	testCustomer struct {
		Name, Email string
	}
	testItem struct {
		SKU      string
		Quantity int
		Product  *testProduct
	}
	testProduct struct {
		Template   string
		Parameters map[string]any
	}
)

// dataType is the type Parse checks fields against.
var dataType = reflect.TypeFor[*testData]()

// sampleData is an order of Ada's with n items, the first a parametric
// ring.
func sampleData(n int) *testData {
	o := &testOrder{
		ID: "ord-1", Status: "Paid",
		Customer:  testCustomer{Name: "Ada Lovelace", Email: "ada@example.com"},
		Metadata:  map[string]any{"channel": "web", "note": "gift wrap"},
		CreatedAt: time.Date(2026, 3, 29, 14, 5, 0, 0, time.UTC),
	}
	for i := range n {
		it := testItem{SKU: "SKU-" + strconv.Itoa(i), Quantity: 1 + i%3}
		if i == 0 {
			it.SKU = "RING-7"
			it.Product = &testProduct{Template: "ring", Parameters: map[string]any{"size": 7}}
		}
		o.Items = append(o.Items, it)
	}
	return &testData{Order: o}
}
