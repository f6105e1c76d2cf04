package httpjson

import (
	"net/http"
	"net/http/httptest"
	"testing"
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
