package postgres_test

import (
	"testing"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/storetest"
)

func TestWebhooks(t *testing.T) {
	storetest.RunWebhooks(t, func(t *testing.T) store.Store { return open(t) })
}
