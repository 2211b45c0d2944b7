package main

import "github.com/spf13/cobra"

// seams are the run functions of the commands, as gh's runF: nil runs the
// command; a test sets one to check what the command line parsed into
// without sending anything.
type seams struct {
	get     func(*cobra.Command, *getOptions) error
	list    func(*cobra.Command, *listOptions) error
	version func(*cobra.Command, *versionOptions) error
}
