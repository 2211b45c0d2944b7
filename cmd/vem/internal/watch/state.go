package watch

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
)

// state is the content of a --state-file.
type state struct {
	Kind    string `json:"kind"`
	Cursor  string `json:"cursor"`
	Updated string `json:"updated"`
}

// readState reads a --state-file.
func readState(name string) (state, error) {
	var st state
	b, err := os.ReadFile(name)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil || st.Cursor == "" {
		return st, fmt.Errorf("%s is not a vem watch state file", name)
	}
	return st, nil
}

// checkStateDir checks, before anything is sent, that a new --state-file
// can be written: its directory exists and is a directory. The error
// names the directory, not the hidden temporary file of writeState.
func checkStateDir(cmd *cobra.Command, name string) error {
	dir := filepath.Dir(name)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return cmdutil.Usagef(cmd, "--state-file %s: directory %s does not exist", name, dir)
	case err != nil:
		return cmdutil.Usagef(cmd, "--state-file %s: directory %s: %v", name, dir, errors.Unwrap(err))
	case !fi.IsDir():
		return cmdutil.Usagef(cmd, "--state-file %s: %s is not a directory", name, dir)
	}
	return nil
}

// writeState replaces a --state-file atomically: a temporary file in the
// same directory, written and synced, then renamed over it. An error
// names the state file and its directory, never the temporary file.
func writeState(name string, st state) (err error) {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("state file %s: cannot write in directory %s: %w", name, dir, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(append(b, '\n')); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		var pe *os.PathError
		var le *os.LinkError
		switch {
		case errors.As(err, &le):
			err = le.Err
		case errors.As(err, &pe):
			err = pe.Err
		}
		return fmt.Errorf("state file %s: %w", name, err)
	}
	if d, derr := os.Open(dir); derr == nil { // make the rename itself durable
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
