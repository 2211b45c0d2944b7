package output

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestJSONArrayWriter checks that the streamed array is byte for byte the
// document writeJSON makes of the whole slice.
func TestJSONArrayWriter(t *testing.T) {
	t.Parallel()
	items := []map[string]any{{"a": 1, "b": []int{1, 2}}, {"a": "x\u0085y"}, {"c": nil}}
	for n := 0; n <= len(items); n++ {
		var streamed, whole bytes.Buffer
		w := &ArrayWriter[map[string]any]{W: &streamed, Conv: func(m map[string]any) any { return m }}
		for _, it := range items[:n] {
			require.NoError(t, w.Write(it))
		}
		require.NoError(t, w.Close())
		require.NoError(t, WriteJSON(&whole, items[:n]))
		assert.Equal(t, whole.String(), streamed.String(), "%d items", n)
	}
}

// TestTableWriter checks that columns are sized from the header and the
// first batch, and that later rows are written at once with those widths.
func TestTableWriter(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	w := NewTableWriter(&b, []string{"ID", "NAME", "X"}, func(r []string) []string { return r }, 2)
	require.NoError(t, w.Write([]string{"1", "short", "a"}))
	assert.Zero(t, b.Len(), "the first batch is held to size the columns")
	require.NoError(t, w.Write([]string{"2", "longer name", "b"}))
	want := "ID  NAME         X\n1   short        a\n2   longer name  b\n"
	assert.Equal(t, want, b.String())
	require.NoError(t, w.Write([]string{"3", "ä", "c"}))
	assert.Equal(t, want+"3   ä            c\n", b.String(), "a later row is written at once, aligned in runes")
	require.NoError(t, w.Write([]string{"4", "a name wider than the column", "d"}))
	assert.True(t, strings.HasSuffix(b.String(), "4   a name wider than the column  d\n"))
	require.NoError(t, w.Close())

	b.Reset()
	empty := NewTableWriter(&b, []string{"ID", "NAME"}, func(r []string) []string { return r }, 100)
	require.NoError(t, empty.Close())
	assert.Equal(t, "ID  NAME\n", b.String(), "an empty result still has its header")
}

func TestParseQueryPageXML(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../../../testdata/query-backuptasksession.xml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseQueryPage(doc, "BackupTaskSession")
	if err != nil {
		t.Fatal(err)
	}
	if string(p.RootStart) != `<QueryResult xmlns="http://www.veeam.com/ent/v1.0">` || p.RootName != "QueryResult" || len(p.Items) != 3 {
		t.Errorf("root %q %q, %d items", p.RootStart, p.RootName, len(p.Items))
	}
	for _, it := range p.Items {
		if !bytes.HasPrefix(it, []byte("<BackupTaskSession ")) || !bytes.HasSuffix(it, []byte("</BackupTaskSession>")) {
			t.Errorf("item not cut at element bounds: %.80s ... %.40s", it, it[len(it)-40:])
		}
	}
	for _, bad := range []string{"", "<EntityReferences/>", "<QueryResult><Entities>", "not xml"} {
		if _, err := ParseQueryPage([]byte(bad), "BackupTaskSession"); err == nil {
			t.Errorf("ParseQueryPage(%q) succeeded", bad)
		}
	}
	p, err = ParseQueryPage([]byte(`<?xml version="1.0"?><QueryResult xmlns="x"/>`), "BackupTaskSession")
	if err != nil || string(p.RootStart) != `<QueryResult xmlns="x">` || len(p.Items) != 0 {
		t.Errorf("empty self-closing result: %+v, %v", p, err)
	}
}

func TestRootElement(t *testing.T) {
	t.Parallel()
	got, err := RootElement([]byte("<?xml version=\"1.0\"?>\n<!-- c -->\n<A x=\"1\"><B/></A>\n"))
	if err != nil || string(got) != `<A x="1"><B/></A>` {
		t.Errorf("rootElement = %q, %v", got, err)
	}
	for _, bad := range []string{"", "<A>", "text"} {
		if _, err := RootElement([]byte(bad)); err == nil {
			t.Errorf("RootElement(%q) succeeded", bad)
		}
	}
}

func TestBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 12884901888: "12.0 GiB", 1 << 50: "1.0 PiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDuration(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 10, 11, 20, 6, 9, 627e6, time.UTC)
	assert.Equal(t, "59.72s", Duration(start, start.Add(59720*time.Millisecond)))
	assert.Equal(t, "1h0m0.001s", Duration(start, start.Add(time.Hour+time.Millisecond)))
	assert.Equal(t, "11h46m32.412s", Duration(start, start.Add(11*time.Hour+46*time.Minute+32412*time.Millisecond)), "never cut")
	assert.Equal(t, "-", Duration(start, time.Time{}))
}
