package memory_test

import (
	"testing"

	"github.com/ordohq/ordo/enginetest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
)

func TestEngine(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) store.Store { return memory.New() })
}
