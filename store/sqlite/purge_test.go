package sqlite_test

import (
	"testing"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/storetest"
)

func TestPurge(t *testing.T) {
	storetest.RunPurge(t, func(t *testing.T) store.Store { return open(t) })
}
