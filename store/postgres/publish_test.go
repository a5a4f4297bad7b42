package postgres_test

import (
	"testing"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/storetest"
)

func TestPublishStore(t *testing.T) {
	storetest.RunPublish(t, func(t *testing.T) store.Store { return open(t) })
}
