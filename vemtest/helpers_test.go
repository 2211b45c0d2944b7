package vemtest_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vemkit/vem/vemtest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testNow is the WithNow time of most tests.
var testNow = time.Date(2025, 10, 20, 12, 0, 0, 0, time.UTC)

func newServer(t testing.TB, opts ...vemtest.Option) *vemtest.Server {
	t.Helper()
	srv := vemtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// response is a read HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// request describes one call; zero fields are left out.
type request struct {
	method string
	path   string // relative to srv.URL, e.g. "/api/query?..."
	token  string // sent in the X-RestSvcSessionId header
	cookie string // sent as the X-RestSvcSessionId cookie
	accept string
	user   string // Basic auth when set
	pass   string
	header map[string]string
}

func do(t testing.TB, srv *vemtest.Server, rq request) response {
	t.Helper()
	if rq.method == "" {
		rq.method = http.MethodGet
	}
	req, err := http.NewRequest(rq.method, srv.URL+rq.path, nil)
	require.NoError(t, err)
	if rq.token != "" {
		req.Header.Set(vemtest.SessionHeader, rq.token)
	}
	if rq.cookie != "" {
		req.AddCookie(&http.Cookie{Name: vemtest.SessionHeader, Value: rq.cookie})
	}
	if rq.accept != "" {
		req.Header.Set("Accept", rq.accept)
	}
	if rq.user != "" {
		req.SetBasicAuth(rq.user, rq.pass)
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

// logon logs on with the server's credentials and returns the token and
// the SessionId.
func logon(t testing.TB, srv *vemtest.Server) (token, sessionID string) {
	t.Helper()
	r := do(t, srv, request{method: http.MethodPost, path: "/api/sessionMngr/?v=latest", user: srv.Username, pass: srv.Password})
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	var ls struct {
		SessionID string `xml:"SessionId"`
	}
	require.NoError(t, xml.Unmarshal(r.body, &ls))
	token = r.header.Get(vemtest.SessionHeader)
	require.NotEmpty(t, token)
	return token, ls.SessionID
}

func get(t testing.TB, srv *vemtest.Server, token, path string) response {
	t.Helper()
	return do(t, srv, request{path: path, token: token})
}

func getJSON(t testing.TB, srv *vemtest.Server, token, path string) response {
	t.Helper()
	return do(t, srv, request{path: path, token: token, accept: "application/json"})
}

// xnode is a parsed XML element for structural comparison.
type xnode struct {
	Name     string            // "{namespace}local"
	Attrs    map[string]string // "prefix:local" or "local" -> value
	Text     string            // trimmed character data
	Children []xnode
}

// parseXML parses a document into an xnode tree. Href attribute values are
// normalized to their path and query, so trees from different hosts compare
// equal.
func parseXML(t testing.TB, data []byte) xnode {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []*xnode
	var root *xnode
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &xnode{Name: "{" + tk.Name.Space + "}" + tk.Name.Local, Attrs: map[string]string{}}
			for _, a := range tk.Attr {
				k := a.Name.Local
				if a.Name.Space != "" {
					k = a.Name.Space + ":" + k
				}
				v := a.Value
				if a.Name.Local == "Href" {
					v = hrefPath(t, v)
				}
				n.Attrs[k] = v
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n.Text = strings.TrimSpace(n.Text)
			if len(stack) == 0 {
				root = n
			} else {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, *n)
			}
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(tk)
			}
		}
	}
	require.NotNil(t, root, "no root element")
	return *root
}

func hrefPath(t testing.TB, href string) string {
	t.Helper()
	u, err := url.Parse(href)
	require.NoError(t, err, href)
	if u.RawQuery != "" {
		return u.Path + "?" + u.RawQuery
	}
	return u.Path
}

// shape returns the tree with values blanked: element names, attribute
// names and which elements have text.
func (n xnode) shape() xnode {
	s := xnode{Name: n.Name, Attrs: map[string]string{}}
	for k := range n.Attrs {
		s.Attrs[k] = ""
	}
	if n.Text != "" {
		s.Text = "text"
	}
	for _, c := range n.Children {
		s.Children = append(s.Children, c.shape())
	}
	return s
}

func (n xnode) child(name string) (xnode, bool) {
	for _, c := range n.Children {
		if strings.HasSuffix(c.Name, "}"+name) {
			return c, true
		}
	}
	return xnode{}, false
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/" + name)
	require.NoError(t, err)
	return b
}

// jsonKeys returns the keys of a JSON object in document order.
func jsonKeys(t testing.TB, raw json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok, "not an object: %s", raw)
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return keys
}

// jsonError is EM's JSON Error body.
type jsonError struct {
	FirstChanceExceptionMessage *string
	Message                     string
	StackTrace                  *string
	Status                      *string
	StatusCode                  int
}

// xmlError is EM's XML Error body.
type xmlError struct {
	XMLName                     xml.Name
	Message                     string `xml:"Message,attr"`
	StatusCode                  int    `xml:"StatusCode,attr"`
	FirstChanceExceptionMessage string `xml:"FirstChanceExceptionMessage"`
}

// requireError checks that r is an EM Error with the status, in the format
// its Content-Type says.
func requireError(t testing.TB, r response, status int) string {
	t.Helper()
	require.Equal(t, status, r.status, string(r.body))
	switch ct := r.header.Get("Content-Type"); ct {
	case "application/json; charset=utf-8":
		keys := jsonKeys(t, r.body) // EM 12 PascalCase or EM 13 camelCase
		for i, k := range keys {
			keys[i] = strings.ToLower(k[:1]) + k[1:]
		}
		require.Equal(t, []string{"firstChanceExceptionMessage", "message", "stackTrace", "status", "statusCode"}, keys)
		var e jsonError
		require.NoError(t, json.Unmarshal(r.body, &e))
		require.Equal(t, status, e.StatusCode)
		require.NotEmpty(t, e.Message)
		return e.Message
	case "application/xml; charset=utf-8":
		var e xmlError
		require.NoError(t, xml.Unmarshal(r.body, &e), string(r.body))
		require.Equal(t, xml.Name{Space: "http://www.veeam.com/ent/v1.0", Local: "Error"}, e.XMLName)
		require.Equal(t, status, e.StatusCode)
		require.NotEmpty(t, e.Message)
		require.Equal(t, e.Message, e.FirstChanceExceptionMessage)
		return e.Message
	default:
		t.Fatalf("unexpected Content-Type %q", ct)
		return ""
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// urlQuery escapes a query parameter value.
func urlQuery(s string) string { return url.QueryEscape(s) }
