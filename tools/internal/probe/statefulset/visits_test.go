package statefulset

import (
	"errors"
	"testing"
)

func TestClassifyVisits(t *testing.T) {
	for _, c := range []struct {
		body string
		err  error
		want string
	}{
		{`{"total":3,"recent":[]}`, nil, visitsOK},
		{"", errors.New("GET http://web-app-service/visits from c: command terminated with exit code 1: wget: server returned error: HTTP/1.1 503 Service Unavailable"), visitsUnavailable},
		{"", errors.New("... wget: server returned error: HTTP/1.1 500 Internal Server Error"), visitsOther},
		{"", errors.New("... command terminated with exit code 143"), visitsOther}, // timeout
		{"<html>", nil, visitsOther},
	} {
		if got, _ := classifyVisits(c.body, c.err); got != c.want {
			t.Errorf("classifyVisits(%q, %v) = %q, want %q", c.body, c.err, got, c.want)
		}
	}
}
