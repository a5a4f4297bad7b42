package memory_test

import (
	"testing"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
	"github.com/ordohq/ordo/store/storetest"
)

func TestPublishStore(t *testing.T) {
	storetest.RunPublish(t, func(t *testing.T) store.Store { return memory.New() })
}
