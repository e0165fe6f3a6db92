package embedded

import (
	"context"
	"path/filepath"
	"testing"

	"civmap/store"
	"civmap/store/storetest"
)

// TestOrdersRelaidOut runs the orders conformance tests with an index that is laid out again
// after (nearly) every batch of new volunteers, so that the relaid index is what the nearest
// search, the workflow's open-order counts and later updates use.
func TestOrdersRelaidOut(t *testing.T) {
	defer func(n int) { relayoutMin = n }(relayoutMin)
	relayoutMin = 1
	storetest.RunOrders(t, func(t *testing.T) store.Store {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "civmap.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
