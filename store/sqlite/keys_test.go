package sqlite_test

import (
	"testing"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/storetest"
)

func TestKeys(t *testing.T) {
	storetest.RunKeys(t, func(t *testing.T) store.Store { return open(t) })
}
