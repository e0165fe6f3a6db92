// Package placement generates deterministic placeholder positions for the sites of a county whose
// real coordinates are not known: each town gets a contiguous zone of the county outline, each
// station sits in its town's zone, each post inside its town's zone, and no two sites are closer
// than a minimum spacing. The positions are not real and are stored as coord_source=synthetic.
//
// The algorithm works on a square grid over a local equirectangular projection of the outline
// (metres east/north of the county seat):
//  1. grid cells whose centre lies inside the outline and at least Margin from its edge are usable
//     (the margin absorbs the outline's datum uncertainty, ~500 m between WGS-84 and GCJ-02);
//  2. the urban 街道 stations are put around the county seat, the other town stations are spread by
//     Lloyd's algorithm (k-means on the usable cells, urban seeds fixed);
//  3. town zones grow from their stations by a multiplicatively weighted Dijkstra over the grid
//     (speed ∝ √villages), so each zone is connected and roughly sized to its villages;
//  4. villages are put, town by town in code order, on the cell of their town's zone farthest from
//     every site already placed (farthest-point sampling), which maximises the minimum spacing.
//
// Only integer grid indices and IEEE-754 arithmetic without fused operations decide the result,
// and positions are rounded to 1e-6°, so the output is identical on every run and machine.
package placement

import (
	"container/heap"
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
)

// Town is a town (乡级 division) whose station and villages need positions.
type Town struct {
	Code     string
	Urban    bool     // a 街道 near the county seat
	Villages []string // village codes, placed in this order
}

// Input is what Place needs.
type Input struct {
	CountyCode string
	Outline    orb.Polygon // WGS-84 lon/lat degrees; the first ring is the exterior
	Seat       orb.Point   // county seat, WGS-84 lon/lat degrees: the center's position
	Towns      []Town
}

// Parameters of the layout.
const (
	CellM       = 200.0  // grid step, metres
	Margin      = 600.0  // minimum distance of a site from the outline, metres
	MinSpacingM = 300.0  // minimum distance between two sites, metres
	urbanRadius = 1500.0 // distance of the 街道 stations from the seat, metres
	urbanSpeed  = 0.35   // zone growth speed of a 街道 relative to a town with as many villages
	lloydRounds = 25
)

// Layout is the result of Place.
type Layout struct {
	Points map[string]orb.Point // division code → WGS-84 lon/lat, rounded to 1e-6°

	proj  projection
	nx    int
	ny    int
	minX  float64
	minY  float64
	zone  []int // per grid cell: index into towns, -1 if not usable
	towns []string
}

type projection struct{ lon0, lat0, kx, ky float64 }

func newProjection(seat orb.Point) projection {
	// Metres per degree on the WGS-84 ellipsoid near the seat's latitude, to first order.
	return projection{lon0: seat[0], lat0: seat[1], kx: 111320 * math.Cos(seat[1]*math.Pi/180), ky: 110574}
}

func (p projection) forward(pt orb.Point) (x, y float64) {
	return (pt[0] - p.lon0) * p.kx, (pt[1] - p.lat0) * p.ky
}

func (p projection) inverse(x, y float64) orb.Point {
	return orb.Point{round6(p.lon0 + x/p.kx), round6(p.lat0 + y/p.ky)}
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// TownAt returns the code of the town whose zone holds the WGS-84 point p, or "" when p is not
// on a usable cell.
func (l *Layout) TownAt(p orb.Point) string {
	x, y := l.proj.forward(p)
	i := int(math.Floor((x - l.minX) / CellM))
	j := int(math.Floor((y - l.minY) / CellM))
	if i < 0 || j < 0 || i >= l.nx || j >= l.ny {
		return ""
	}
	if z := l.zone[j*l.nx+i]; z >= 0 {
		return l.towns[z]
	}
	return ""
}

// ZoneConnected reports whether the zone of town is one 8-connected set of grid cells, and
// returns its number of cells.
func (l *Layout) ZoneConnected(town string) (connected bool, cells int) {
	zi := -1
	for i, t := range l.towns {
		if t == town {
			zi = i
		}
	}
	start := -1
	for c, z := range l.zone {
		if z == zi {
			cells++
			if start < 0 {
				start = c
			}
		}
	}
	if zi < 0 || start < 0 {
		return false, 0
	}
	seen := map[int]bool{start: true}
	stack := []int{start}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, n := range l.neighbours(c) {
			if l.zone[n.cell] == zi && !seen[n.cell] {
				seen[n.cell] = true
				stack = append(stack, n.cell)
			}
		}
	}
	return len(seen) == cells, cells
}

type neighbour struct {
	cell int
	cost float64
}

func (l *Layout) neighbours(c int) []neighbour {
	i, j := c%l.nx, c/l.nx
	out := make([]neighbour, 0, 8)
	for dj := -1; dj <= 1; dj++ {
		for di := -1; di <= 1; di++ {
			if di == 0 && dj == 0 {
				continue
			}
			ni, nj := i+di, j+dj
			if ni < 0 || nj < 0 || ni >= l.nx || nj >= l.ny {
				continue
			}
			cost := CellM
			if di != 0 && dj != 0 {
				cost = CellM * math.Sqrt2
			}
			out = append(out, neighbour{nj*l.nx + ni, cost})
		}
	}
	return out
}

func (l *Layout) centre(c int) (x, y float64) {
	return l.minX + (float64(c%l.nx)+0.5)*CellM, l.minY + (float64(c/l.nx)+0.5)*CellM
}

// Place computes the layout. It fails when the outline is degenerate or too small to hold every
// site at MinSpacingM.
func Place(in Input) (*Layout, error) {
	if len(in.Outline) == 0 || len(in.Outline[0]) < 4 {
		return nil, fmt.Errorf("placement: outline has no exterior ring")
	}
	l := &Layout{Points: map[string]orb.Point{}, proj: newProjection(in.Seat)}
	ring := make([][2]float64, len(in.Outline[0]))
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for k, p := range in.Outline[0] {
		x, y := l.proj.forward(p)
		ring[k] = [2]float64{x, y}
		minX, minY = math.Min(minX, x), math.Min(minY, y)
		maxX, maxY = math.Max(maxX, x), math.Max(maxY, y)
	}
	l.minX, l.minY = minX, minY
	l.nx = int(math.Ceil((maxX-minX)/CellM)) + 1
	l.ny = int(math.Ceil((maxY-minY)/CellM)) + 1
	usable := l.usableCells(ring)

	seat := l.nearestUsable(usable, 0, 0, nil)
	if seat < 0 {
		return nil, fmt.Errorf("placement: no usable cell in the outline")
	}
	taken := map[int]bool{seat: true}
	var urban, rural []int
	for i, t := range in.Towns {
		if t.Urban {
			urban = append(urban, i)
		} else {
			rural = append(rural, i)
		}
	}
	seeds := make([]int, len(in.Towns))
	for k, ti := range urban {
		a := math.Pi/4 + float64(k)*2*math.Pi/float64(len(urban))
		seeds[ti] = l.nearestUsable(usable, urbanRadius*math.Sin(a), urbanRadius*math.Cos(a), taken)
		taken[seeds[ti]] = true
	}
	l.lloyd(usable, seeds, urban, rural, seat, taken)

	l.towns = make([]string, len(in.Towns))
	speed := make([]float64, len(in.Towns))
	for i, t := range in.Towns {
		l.towns[i] = t.Code
		speed[i] = math.Sqrt(float64(len(t.Villages) + 1))
		if t.Urban {
			speed[i] *= urbanSpeed
		}
	}
	l.grow(usable, seeds, speed)

	mind := make([]float64, len(l.zone))
	for c := range mind {
		mind[c] = math.Inf(1)
	}
	put := func(code string, c int) {
		x, y := l.centre(c)
		l.Points[code] = l.proj.inverse(x, y)
		for o := range mind {
			if usable[o] {
				ox, oy := l.centre(o)
				if d := math.Hypot(ox-x, oy-y); d < mind[o] {
					mind[o] = d
				}
			}
		}
	}
	put(in.CountyCode, seat)
	for i, t := range in.Towns {
		put(t.Code, seeds[i])
	}
	for i, t := range in.Towns {
		for _, v := range t.Villages {
			best := -1
			for c, z := range l.zone {
				if z == i && (best < 0 || mind[c] > mind[best]) {
					best = c
				}
			}
			if best < 0 || mind[best] < MinSpacingM {
				return nil, fmt.Errorf("placement: town %s's zone has no room for village %s at %.0f m spacing", t.Code, v, MinSpacingM)
			}
			put(v, best)
		}
	}
	return l, nil
}

// usableCells marks the cells whose centre is inside the ring and at least Margin from it.
func (l *Layout) usableCells(ring [][2]float64) []bool {
	usable := make([]bool, l.nx*l.ny)
	// Inside: even-odd scanline fill at each row's centre line.
	for j := 0; j < l.ny; j++ {
		y := l.minY + (float64(j)+0.5)*CellM
		var xs []float64
		for k := 0; k+1 < len(ring); k++ {
			a, b := ring[k], ring[k+1]
			if (a[1] <= y) != (b[1] <= y) {
				xs = append(xs, a[0]+(y-a[1])*(b[0]-a[0])/(b[1]-a[1]))
			}
		}
		sort.Float64s(xs)
		for k := 0; k+1 < len(xs); k += 2 {
			for i := 0; i < l.nx; i++ {
				x := l.minX + (float64(i)+0.5)*CellM
				if x > xs[k] && x < xs[k+1] {
					usable[j*l.nx+i] = true
				}
			}
		}
	}
	// Margin: clear cells within Margin of any edge.
	reach := int(math.Ceil(Margin/CellM)) + 1
	for k := 0; k+1 < len(ring); k++ {
		a, b := ring[k], ring[k+1]
		i0 := int(math.Floor((math.Min(a[0], b[0])-l.minX)/CellM)) - reach
		i1 := int(math.Floor((math.Max(a[0], b[0])-l.minX)/CellM)) + reach
		j0 := int(math.Floor((math.Min(a[1], b[1])-l.minY)/CellM)) - reach
		j1 := int(math.Floor((math.Max(a[1], b[1])-l.minY)/CellM)) + reach
		for j := max(j0, 0); j <= min(j1, l.ny-1); j++ {
			for i := max(i0, 0); i <= min(i1, l.nx-1); i++ {
				c := j*l.nx + i
				if usable[c] {
					x, y := l.centre(c)
					if segmentDistance(x, y, a, b) < Margin {
						usable[c] = false
					}
				}
			}
		}
	}
	return usable
}

func segmentDistance(x, y float64, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = math.Max(0, math.Min(1, ((x-a[0])*dx+(y-a[1])*dy)/l2))
	}
	return math.Hypot(x-(a[0]+t*dx), y-(a[1]+t*dy))
}

// nearestUsable returns the usable, untaken cell nearest to (x, y), lowest index on ties; -1 if none.
func (l *Layout) nearestUsable(usable []bool, x, y float64, taken map[int]bool) int {
	best, bestD := -1, math.Inf(1)
	for c, ok := range usable {
		if !ok || taken[c] {
			continue
		}
		cx, cy := l.centre(c)
		if d := math.Hypot(cx-x, cy-y); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// lloyd spreads the rural seeds over the usable cells: farthest-point initialisation, then
// Lloyd iterations with the seat and urban seeds fixed; each seed ends on a usable cell.
func (l *Layout) lloyd(usable []bool, seeds, urban, rural []int, seat int, taken map[int]bool) {
	type pt struct{ x, y float64 }
	var cells []int
	for c, ok := range usable {
		if ok {
			cells = append(cells, c)
		}
	}
	fixed := []pt{}
	fx, fy := l.centre(seat)
	fixed = append(fixed, pt{fx, fy})
	for _, ti := range urban {
		x, y := l.centre(seeds[ti])
		fixed = append(fixed, pt{x, y})
	}
	free := make([]pt, len(rural))
	all := append([]pt(nil), fixed...)
	for k := range rural {
		best, bestD := -1, -1.0
		for _, c := range cells {
			x, y := l.centre(c)
			d := math.Inf(1)
			for _, p := range all {
				d = math.Min(d, math.Hypot(x-p.x, y-p.y))
			}
			if d > bestD {
				best, bestD = c, d
			}
		}
		x, y := l.centre(best)
		free[k] = pt{x, y}
		all = append(all, free[k])
	}
	for round := 0; round < lloydRounds; round++ {
		sx := make([]float64, len(free))
		sy := make([]float64, len(free))
		n := make([]int, len(free))
		for _, c := range cells {
			x, y := l.centre(c)
			best, bestD, isFree := -1, math.Inf(1), false
			for k, p := range fixed {
				if d := math.Hypot(x-p.x, y-p.y); d < bestD {
					best, bestD, isFree = k, d, false
				}
			}
			for k, p := range free {
				if d := math.Hypot(x-p.x, y-p.y); d < bestD {
					best, bestD, isFree = k, d, true
				}
			}
			if isFree {
				sx[best] += x
				sy[best] += y
				n[best]++
			}
		}
		for k := range free {
			if n[k] > 0 {
				free[k] = pt{sx[k] / float64(n[k]), sy[k] / float64(n[k])}
			}
		}
	}
	for k, ti := range rural {
		seeds[ti] = l.nearestUsable(usable, free[k].x, free[k].y, taken)
		taken[seeds[ti]] = true
	}
}

// grow assigns every usable cell reachable from a seed to the zone that reaches it first, where
// zone z travels at speed[z]; ties go to the lower zone index. Zones are connected by construction.
func (l *Layout) grow(usable []bool, seeds []int, speed []float64) {
	l.zone = make([]int, len(usable))
	for c := range l.zone {
		l.zone[c] = -1
	}
	dist := make([]float64, len(usable))
	for c := range dist {
		dist[c] = math.Inf(1)
	}
	h := &arrivals{}
	for z, c := range seeds {
		heap.Push(h, arrival{t: 0, zone: z, cell: c})
	}
	for h.Len() > 0 {
		a := heap.Pop(h).(arrival)
		if l.zone[a.cell] >= 0 {
			continue
		}
		l.zone[a.cell] = a.zone
		dist[a.cell] = a.t
		for _, n := range l.neighbours(a.cell) {
			if usable[n.cell] && l.zone[n.cell] < 0 {
				heap.Push(h, arrival{t: a.t + n.cost/speed[a.zone], zone: a.zone, cell: n.cell})
			}
		}
	}
}

type arrival struct {
	t    float64
	zone int
	cell int
}

type arrivals []arrival

func (h arrivals) Len() int { return len(h) }
func (h arrivals) Less(i, j int) bool {
	if h[i].t != h[j].t {
		return h[i].t < h[j].t
	}
	if h[i].zone != h[j].zone {
		return h[i].zone < h[j].zone
	}
	return h[i].cell < h[j].cell
}
func (h arrivals) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *arrivals) Push(x any)   { *h = append(*h, x.(arrival)) }
func (h *arrivals) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
