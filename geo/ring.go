package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// RemoveSpikes returns p without repeated vertices and without spikes (a vertex where the ring
// turns straight back on itself, so that its neighbours coincide or it lies on the line back to
// where the ring came from), repeated until none is left. Quantised outlines such as the
// published Linxiang one (vertices on a ~0.001° grid) have such zero-area excursions; PostGIS
// repairs them when it renders tiles, so every store works from the repaired ring.
func RemoveSpikes(p orb.Polygon) orb.Polygon {
	out := make(orb.Polygon, 0, len(p))
	for _, r := range p {
		if len(r) < 4 {
			out = append(out, r)
			continue
		}
		pts := append([]orb.Point(nil), r[:len(r)-1]...)
		for changed := true; changed && len(pts) > 3; {
			changed = false
			var kept []orb.Point
			for i := range pts {
				prev := pts[(i+len(pts)-1)%len(pts)]
				if len(kept) > 0 {
					prev = kept[len(kept)-1]
				}
				next := pts[(i+1)%len(pts)]
				cur := pts[i]
				cross := (cur[0]-prev[0])*(next[1]-cur[1]) - (cur[1]-prev[1])*(next[0]-cur[0])
				dot := (cur[0]-prev[0])*(next[0]-cur[0]) + (cur[1]-prev[1])*(next[1]-cur[1])
				if cur == prev || (math.Abs(cross) < 1e-12 && dot < 0) {
					changed = true
					continue
				}
				kept = append(kept, cur)
			}
			pts = kept
		}
		out = append(out, append(orb.Ring(pts), pts[0]))
	}
	return out
}
