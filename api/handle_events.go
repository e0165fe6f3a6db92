package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"civmap/live"
)

// handleEvents serves GET /api/v1/events as server-sent events: one "activity.created" or
// "need.created" event (data: the live.Event as JSON) per write, and a comment every 25 s to
// keep proxies from closing the stream. The events carry no personal data.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	flusher, ok := w.(http.Flusher)
	if !ok || s.cfg.Bus == nil {
		s.problem(w, r, &problemError{status: http.StatusNotImplemented, code: "not_implemented", msg: "events are not available"})
		return
	}
	sub := s.cfg.Bus.Subscribe(64)
	defer sub.Close()
	serveSSE(w, flusher, r, "civmap events", sub.C, func(w io.Writer, e live.Event) {
		b, _ := json.Marshal(e)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Type, b)
	})
}

// serveSSE answers with a server-sent event stream: a comment naming it and a retry time, then
// each item of c written by write, and a keep-alive comment every 25 s (so proxies keep the
// connection), until the client leaves or c closes.
func serveSSE[T any](w http.ResponseWriter, flusher http.Flusher, r *http.Request, name string, c <-chan T, write func(io.Writer, T)) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, ": %s\nretry: 3000\n\n", name)
	flusher.Flush()
	tick := time.NewTicker(25 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			flusher.Flush()
		case e, ok := <-c:
			if !ok {
				return
			}
			write(w, e)
			flusher.Flush()
		}
	}
}
