package vemtest_test

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"

	"github.com/vemkit/vem/vemtest"
)

// Example starts a fake Enterprise Manager, logs on with plain net/http and
// reads the seed task session.
func Example() {
	srv := vemtest.NewServer()
	defer srv.Close()

	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/sessionMngr/?v=latest", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	req.SetBasicAuth(srv.Username, srv.Password)
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	token := resp.Header.Get("X-RestSvcSessionId")

	req, err = http.NewRequest(http.MethodGet, srv.URL+"/api/backupTaskSessions/"+vemtest.SeedBackupTaskSessionID+"?format=Entity", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	req.Header.Set("X-RestSvcSessionId", token)
	resp, err = srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var ts struct {
		Name   string `xml:"Name,attr"`
		State  string
		Result string
	}
	if err := xml.Unmarshal(body, &ts); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Status, ts.Name, ts.State, ts.Result)
	// Output:
	// 201 Created
	// 200 OK AnT_VM2@2025-10-11 20:06:09 Completed Success
}

// ExampleServer_FailNext makes the next request fail with 503.
func ExampleServer_FailNext() {
	srv := vemtest.NewServer(vemtest.WithDataset(0), vemtest.WithoutTLS())
	defer srv.Close()
	srv.FailNext(1, http.StatusServiceUnavailable)
	for range 2 {
		resp, err := srv.Client().Get(srv.URL + "/api/backupTaskSessions")
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.Status)
	}
	fmt.Println(srv.Stats().InjectedErrors)
	// Output:
	// 503 Service Unavailable
	// 401 Unauthorized
	// 1
}
