package geo_test

import (
	"testing"

	"civmap/geo"

	"github.com/paulmach/orb"
)

func TestRemoveSpikes(t *testing.T) {
	// A square with a repeated vertex, an out-and-back spike on its top edge and one at a corner.
	p := orb.Polygon{{{0, 0}, {4, 0}, {4, 0}, {4, 4}, {6, 6}, {4, 4}, {2, 4}, {2, 5}, {2, 4}, {0, 4}, {0, 0}}}
	got := geo.RemoveSpikes(p)
	want := orb.Ring{{0, 0}, {4, 0}, {4, 4}, {2, 4}, {0, 4}, {0, 0}}
	if len(got) != 1 || !got[0].Equal(want) {
		t.Errorf("RemoveSpikes = %v, want %v", got, want)
	}
}
