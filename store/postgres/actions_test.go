package postgres_test

import (
	"testing"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/storetest"
)

func TestActionStore(t *testing.T) {
	storetest.RunActions(t, func(t *testing.T) store.Store { return open(t) })
}
