package sqlite_test

import (
	"testing"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/storetest"
)

func TestMatchWaits(t *testing.T) {
	storetest.RunMatchWaits(t, func(t *testing.T) store.Store { return open(t) })
}
