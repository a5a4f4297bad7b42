package memory_test

import (
	"testing"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
	"github.com/ordohq/ordo/store/storetest"
)

func TestLimits(t *testing.T) {
	storetest.RunLimits(t, func(t *testing.T) store.Store { return memory.New() })
}
