package watch

import (
	"context"
	"iter"

	"github.com/vemkit/vem/cmd/vem/internal/output"
)

// begun is a writer that writes its start at once: a watch may wait long
// for its first session.
type begun interface{ Begin() error }

// stream prints the sessions of seq, one at a time, each written out at
// once, saving the state file after each; it stops at --limit or at the
// end of seq.
func stream[T any, J any](_ context.Context, o *Options, seq iter.Seq2[T, error], save func() error,
	conv func(T) J, columns []string, widths []int, row func(T) []string) error {
	out := o.f.IO.Out
	var w output.RecordWriter[T]
	switch o.f.Global.Output {
	case output.JSON:
		w = &output.ArrayWriter[T]{W: out, Conv: func(v T) any { return conv(v) }}
	case output.Table:
		// Fixed columns: a watch cannot align on lines it has not seen; a
		// wider cell pushes the rest of its line, it is never cut.
		w = output.NewFixedTableWriter(out, columns, widths, row)
	default:
		w = &output.LinesWriter[T]{W: out, Conv: func(v T) any { return conv(v) }}
	}
	if b, ok := w.(begun); ok {
		if err := b.Begin(); err != nil {
			return err
		}
	}
	n := 0
	var werr error
	for v, err := range seq {
		if err != nil {
			werr = err
			break
		}
		if err := w.Write(v); err != nil {
			werr = err
			break
		}
		if err := save(); err != nil {
			werr = err
			break
		}
		n++
		if o.Limit > 0 && n >= o.Limit {
			break
		}
	}
	if err := w.Close(); err != nil && werr == nil {
		werr = err
	}
	return werr
}
