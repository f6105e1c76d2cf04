// Package httpjson writes the small JSON responses shared by the web app
// and the canary, so both answer errors (404, 405, 400) the same way.
package httpjson
