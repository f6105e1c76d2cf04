package httpjson

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestRouterRouteIsBounded(t *testing.T) {
	rt := Router{"/a": GetOnly(func(w http.ResponseWriter, _ *http.Request) { Write(w, 200, "ok") })}
	route := rt.Route("other")
	for path, want := range map[string]string{"/a": "/a", "/a/": "other", "/b": "other", "/a?x=1": "/a"} {
		if got := route(httptest.NewRequest("GET", path, nil)); got != want {
			t.Errorf("route(%s) = %s, want %s", path, got, want)
		}
	}
	rec := httptest.NewRecorder()
	rt.ServeHTTP(rec, httptest.NewRequest("PUT", "/a", nil))
	if rec.Code != 405 || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("PUT /a = %d Allow=%q", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestUnavailableNamesTheDependencyAndWhenToRetry(t *testing.T) {
	for retry, want := range map[time.Duration]string{5 * time.Second: "5", 1500 * time.Millisecond: "2", time.Millisecond: "1", 0: ""} {
		rec := httptest.NewRecorder()
		Unavailable(rec, DependencyError{Error: "database unavailable", Dependency: "postgres", Detail: "boom"}, retry)
		if rec.Code != 503 || rec.Header().Get("Retry-After") != want {
			t.Errorf("retry %s: %d Retry-After=%q, want 503 %q", retry, rec.Code, rec.Header().Get("Retry-After"), want)
		}
		if body := rec.Body.String(); body != `{"error":"database unavailable","dependency":"postgres","detail":"boom"}`+"\n" {
			t.Errorf("body %q", body)
		}
	}
}
