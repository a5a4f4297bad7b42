package memory_test

import (
	"testing"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
	"github.com/ordohq/ordo/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return memory.New() })
}

func TestFlows(t *testing.T) {
	storetest.RunFlows(t, func(t *testing.T) store.Store { return memory.New() })
}

func TestPurge(t *testing.T) {
	storetest.RunPurge(t, func(t *testing.T) store.Store { return memory.New() })
}
