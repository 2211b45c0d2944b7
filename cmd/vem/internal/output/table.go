package output

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
)

// DefaultBatch is the number of rows a table holds to size its columns
// when the caller names none: EM's default page size.
const DefaultBatch = 100

// TableWriter writes aligned columns, streaming: it holds the first batch
// rows (a query page), sizes the columns from them and the header, then
// writes every later row at once with those widths. A later cell wider
// than its column pushes the rest of its row to the right; no cell is
// ever cut.
type TableWriter[T any] struct {
	w      io.Writer
	header []string
	row    func(T) []string
	batch  int
	held   [][]string
	widths []int // nil until the first batch is written
}

// NewTableWriter returns a table sized from its first batch rows.
func NewTableWriter[T any](w io.Writer, header []string, row func(T) []string, batch int) *TableWriter[T] {
	if batch <= 0 {
		batch = DefaultBatch
	}
	return &TableWriter[T]{w: w, header: header, row: row, batch: batch}
}

// NewFixedTableWriter returns a table with fixed column widths, whose
// header and rows are written at once: for a stream that cannot wait for
// a batch (vem watch).
func NewFixedTableWriter[T any](w io.Writer, header []string, widths []int, row func(T) []string) *TableWriter[T] {
	return &TableWriter[T]{w: w, header: header, row: row, widths: widths}
}

// Begin writes the header of a fixed table.
func (t *TableWriter[T]) Begin() error { return t.writeRow(t.header) }

// Write writes (or holds) one row.
func (t *TableWriter[T]) Write(v T) error {
	r := CleanCells(t.row(v))
	if t.widths != nil {
		return t.writeRow(r)
	}
	t.held = append(t.held, r)
	if len(t.held) >= t.batch {
		return t.flushHeld()
	}
	return nil
}

func (t *TableWriter[T]) flushHeld() error {
	t.widths = make([]int, len(t.header))
	for _, r := range append([][]string{t.header}, t.held...) {
		for i, c := range r {
			if i < len(t.widths) {
				t.widths[i] = max(t.widths[i], utf8.RuneCountInString(c))
			}
		}
	}
	if err := t.writeRow(t.header); err != nil {
		return err
	}
	for _, r := range t.held {
		if err := t.writeRow(r); err != nil {
			return err
		}
	}
	t.held = nil
	return nil
}

func (t *TableWriter[T]) writeRow(r []string) error {
	var b strings.Builder
	for i, c := range r {
		b.WriteString(c)
		if i == len(r)-1 {
			break
		}
		pad := 2
		if i < len(t.widths) {
			pad = max(t.widths[i]-utf8.RuneCountInString(c), 0) + 2
		}
		b.WriteString(strings.Repeat(" ", pad))
	}
	b.WriteByte('\n')
	_, err := io.WriteString(t.w, b.String())
	return err
}

// Close writes the held rows (or the header alone of an empty table).
func (t *TableWriter[T]) Close() error {
	if t.widths == nil {
		return t.flushHeld()
	}
	return nil
}

// WriteFields writes name/value pairs in two aligned columns, values
// cleaned of control characters.
func WriteFields(w io.Writer, fields [][2]string) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, f := range fields {
		fmt.Fprintf(tw, "%s\t%s\n", f[0], CleanCell(f[1]))
	}
	return tw.Flush()
}

// WriteRows writes a header and rows in aligned columns, cells cleaned of
// control characters.
func WriteRows(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(CleanCells(r), "\t"))
	}
	return tw.Flush()
}

// CleanCell keeps a cell on one line and free of control characters.
func CleanCell(s string) string { return iostreams.CleanCell(s) }

// CleanCells cleans every cell of a row.
func CleanCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = CleanCell(c)
	}
	return out
}

// Dash shows a missing value as "-".
func Dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// TimeLayout is how tables show times, in UTC; --since and --until accept
// it back.
const TimeLayout = "2006-01-02 15:04:05"

// Time shows t in UTC, or "-" for the zero time.
func Time(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(TimeLayout)
}

// Duration shows end-start to the millisecond ("59.72s", "1m0.5s"), or "-"
// when either is unknown.
func Duration(start, end time.Time) string {
	if start.IsZero() || end.IsZero() {
		return "-"
	}
	return end.Sub(start).Round(time.Millisecond).String()
}

// Bytes renders a size with binary units, for tables only.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
