package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem"
)

// versionJSON is the JSON form of "vem version -o json".
type versionJSON struct {
	Version   string `json:"version"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

func (a *app) newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:               "version",
		Short:             "Print vem's version",
		Long:              "Print vem's version (the SDK's vem.Version). With -o json or -o jsonl, print it as a JSON object with the Go version and platform.",
		Args:              exactArgs(),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Only -o matters here; a bad VEM_URL must not break "vem version".
			out := a.g.output
			if !cmd.Flags().Changed("output") {
				out = a.getenv(envOutput)
			}
			v := versionJSON{Version: vem.Version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
			switch out {
			case outputJSON:
				return writeJSON(a.stdout, v)
			case outputJSONL:
				return writeJSONLine(a.stdout, v)
			}
			_, err := fmt.Fprintf(a.stdout, "vem %s\n", vem.Version)
			return err
		},
	}
}
