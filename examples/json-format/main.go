// Command json-format reads the same task session in XML and in JSON, from
// an EM 12 style (PascalCase keys) and an EM 13 style (camelCase keys)
// server, and shows that the client decodes all three alike.
//
// JSON decodes several times faster than XML; XML is the API's own format
// and vem's default. The client decodes by the response's Content-Type, so
// both work against any EM.
//
//	go run ./examples/json-format
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/vemtest"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "json-format:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer) error {
	for _, tc := range []struct {
		name   string
		style  vemtest.JSONStyle
		format vem.Format
	}{
		{"XML", vemtest.JSONStyleEM12PascalCase, vem.FormatXML},
		{"JSON, EM 12 PascalCase", vemtest.JSONStyleEM12PascalCase, vem.FormatJSON},
		{"JSON, EM 13 camelCase", vemtest.JSONStyleEM13CamelCase, vem.FormatJSON},
	} {
		srv := vemtest.NewServer(vemtest.WithJSONStyle(tc.style))
		c, err := vem.New(srv.URL, vem.WithHTTPClient(srv.Client()),
			vem.WithCredentials(srv.Username, srv.Password), vem.WithFormat(tc.format))
		if err != nil {
			srv.Close()
			return err
		}
		ts, err := c.GetBackupTaskSession(ctx, vemtest.SeedBackupTaskSessionID)
		_ = c.Close()
		srv.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", tc.name, err)
		}
		fmt.Fprintf(w, "%-24s %s %s %s %d bytes, created %s\n", tc.name+":", ts.VMDisplayName, ts.State, ts.Result,
			ts.TotalSize, ts.CreationTime.Format("2006-01-02T15:04:05.000Z07:00"))
	}
	return nil
}
