package postgis_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"civmap"
	"civmap/api"
	"civmap/store/postgis"
	"civmap/store/postgis/pgtest"
	"civmap/store/storetest"
	"civmap/tiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// TestConcurrentTilesSmallServer starts a PostgreSQL server of its own with max_connections=20
// and sends 200 concurrent requests for 200 distinct tiles through the HTTP API: the store's
// bounded pool (10 connections) makes the requests queue, and every one succeeds — none gets
// "too many clients".
func TestConcurrentTilesSmallServer(t *testing.T) {
	srv := pgtest.StartServer(t, "max_connections=20")
	ctx := context.Background()
	st, err := postgis.Open(ctx, postgis.Config{URL: pgtest.NewDatabaseOn(t, srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f, err := storetest.NewFixture()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	a, err := api.New(api.Config{Store: st, PublicURL: "https://map.example.cn", TileTimeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(a.Handler())
	defer hs.Close()

	// 200 distinct z14 tiles over the county (15 × 14 around the seat, 200 of them).
	c := maptile.At(orb.Point{113.4403, 29.4813}, 14)
	var urls []string
	for dx := uint32(0); dx < 15 && len(urls) < 200; dx++ {
		for dy := uint32(0); dy < 14 && len(urls) < 200; dy++ {
			urls = append(urls, fmt.Sprintf("%s/tiles/boundary,clusters,venues,sites,activities,needs/14/%d/%d.mvt", hs.URL, c.X-7+dx, c.Y-7+dy))
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: 200}, Timeout: 2 * time.Minute}
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, len(urls))
	var mu sync.Mutex
	statuses := map[int]int{}
	for _, u := range urls {
		wg.Add(1)
		go func(u string) {
			defer wg.Done()
			<-start
			resp, err := client.Get(u)
			if err != nil {
				errs <- err
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
			if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
				errs <- fmt.Errorf("%s: %d %s", u, resp.StatusCode, body)
			} else if resp.Header.Get("X-Cache") != "MISS" {
				errs <- fmt.Errorf("%s: X-Cache %s, want MISS (distinct tiles)", u, resp.Header.Get("X-Cache"))
			}
		}(u)
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 10 {
			t.Error(err)
		}
	}
	if n > 0 {
		t.Errorf("%d of %d requests failed", n, len(urls))
	}
	t.Logf("%d concurrent distinct-tile requests in %v against max_connections=20: statuses %v; pool max %d",
		len(urls), time.Since(t0).Round(time.Millisecond), statuses, st.Pool().Config().MaxConns)
	if statuses[http.StatusOK] == 0 {
		t.Error("no tile had content; the test proves nothing")
	}
}

// TestQueryCancelledAndTimedOut checks the two bounds on a tile query: a cancelled context
// stops the statement on the server, and the pool's statement_timeout ends a slow one.
func TestQueryCancelledAndTimedOut(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	st, err := postgis.Open(ctx, postgis.Config{URL: url, StatementTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	t0 := time.Now()
	_, err = st.Pool().Exec(ctx, "SELECT pg_sleep(10)")
	if err == nil || time.Since(t0) > 5*time.Second || !strings.Contains(err.Error(), "statement timeout") {
		t.Errorf("a 10 s statement under a 300 ms statement_timeout: %v after %v", err, time.Since(t0))
	}

	st2, err := postgis.Open(ctx, postgis.Config{URL: url, StatementTimeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	t0 = time.Now()
	_, err = st2.Pool().Exec(cctx, "SELECT pg_sleep(10) /* civmap-cancel-test */")
	if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(fmt.Sprint(err), "cancel") {
		t.Errorf("cancelled statement: %v", err)
	}
	if time.Since(t0) > 5*time.Second {
		t.Errorf("cancelled statement returned after %v", time.Since(t0))
	}
	// The server is no longer running it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var running int
		if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE query LIKE '%civmap-cancel-test%' AND state = 'active' AND pid <> pg_backend_pid()`).Scan(&running); err != nil {
			t.Fatal(err)
		}
		if running == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cancelled statement is still running on the server")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A tile request whose client has gone away returns the context's error, not a tile.
	gone, cancelGone := context.WithCancel(ctx)
	cancelGone()
	if _, err := st.Tile(gone, nil, maptile.New(0, 0, 0)); err != nil {
		t.Errorf("no layers: %v", err)
	}
	_, err = st.Tile(gone, []tiles.Layer{tiles.LayerSites}, maptile.New(0, 0, 0))
	if err == nil || civmap.ErrorCode(err) != civmap.EINTERNAL || !errors.Is(err, context.Canceled) {
		t.Errorf("tile for a client that went away: %v", err)
	}
}
