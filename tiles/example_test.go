package tiles_test

import (
	"fmt"

	"civmap/tiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
)

// Encode one point feature into the z10 tile that holds it, then decode it again.
func ExampleEncode() {
	t, err := tiles.Parse("10", "834", "424")
	if err != nil {
		panic(err)
	}
	b, err := tiles.Encode(t, []tiles.LayerData{{Layer: tiles.LayerSites, Features: []tiles.Feature{{
		ID: 430682, Geometry: orb.Point{113.4403, 29.4813}, Properties: map[string]any{"code": "430682", "level": "center"},
	}}}})
	if err != nil {
		panic(err)
	}
	layers, _ := mvt.Unmarshal(b)
	f := layers[0].Features[0]
	fmt.Println(layers[0].Name, layers[0].Extent, f.ID, f.Properties["level"], f.Geometry)
	// Output: sites 4096 430682 center [2763 722]
}

func ExampleClusterRes() {
	for _, z := range []int{6, 9, 12, 15, 22} {
		fmt.Printf("z%d → H3 res %d\n", z, tiles.ClusterRes(z))
	}
	// Output:
	// z6 → H3 res 4
	// z9 → H3 res 6
	// z12 → H3 res 8
	// z15 → H3 res 8
	// z22 → H3 res 8
}
