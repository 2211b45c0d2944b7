package vemtest_test

import (
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/vemkit/vem/vemtest"
)

// BenchmarkQueryPage measures a client reading pages of 1000 task sessions
// from a server holding 10,000, as the client's own benchmarks do.
func BenchmarkQueryPage(b *testing.B) {
	srv := newServer(b, vemtest.WithNow(testNow), vemtest.WithDataset(10000))
	token, _ := logon(b, srv)
	for _, tc := range []struct{ name, accept, format string }{
		{"xml-entities", "application/xml", "&format=Entities"},
		{"json-entities", "application/json", "&format=Entities"},
		{"xml-refs", "application/xml", ""},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var bytes int64
			page := 0
			for b.Loop() {
				page = page%10 + 1
				req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/query?type=BackupTaskSession"+tc.format+"&sortDesc=CreationTime&pageSize=1000&page="+strconv.Itoa(page), nil)
				req.Header.Set(vemtest.SessionHeader, token)
				req.Header.Set("Accept", tc.accept)
				resp, err := srv.Client().Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatal(resp.Status)
				}
				bytes += n
			}
			b.SetBytes(bytes / int64(b.N))
		})
	}
}

// BenchmarkNewServer measures building a server with 10,000 task sessions.
func BenchmarkNewServer(b *testing.B) {
	for b.Loop() {
		vemtest.NewServer(vemtest.WithNow(testNow), vemtest.WithDataset(10000)).Close()
	}
}
