package postgres_test

import (
	"testing"

	"github.com/ordohq/ordo/enginetest"
	"github.com/ordohq/ordo/store"
)

func TestEngine(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}
