package doctor

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
	"github.com/vemkit/vem/internal/em"
)

// ---- em and json ----

// httpClient returns the client of the raw requests: the TLS settings the
// SDK would use, no redirects followed, no cookies.
func (d *doctor) httpClient() *http.Client {
	proxy := d.proxyFor
	if proxy == nil {
		proxy = http.ProxyFromEnvironment
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:       proxy,
			DialContext: (&net.Dialer{Timeout: doctorDialTimeout}).DialContext,
			TLSClientConfig: &tls.Config{
				MinVersion:         tls.VersionTLS12,
				RootCAs:            d.caPool,
				InsecureSkipVerify: d.f.Global.Insecure, //nolint:gosec // the user's choice, reported by the tls check
			},
			TLSHandshakeTimeout:   doctorDialTimeout,
			ResponseHeaderTimeout: doctorRequestTimeout,
		},
		Timeout: doctorRequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// doctorResponse is a raw answer, its body read up to doctorMaxBody.
type doctorResponse struct {
	status      int
	contentType string
	header      http.Header
	body        []byte
}

// get sends GET /api/ (or another path) with an Accept type and notes the
// answer's Date header.
func (d *doctor) get(ctx context.Context, path, accept string) (*doctorResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.origin.String()+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "vem-cli/"+vem.Version+" doctor "+vem.DefaultUserAgent)
	resp, err := d.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	d.noteDate(resp.Header.Get("Date"))
	body, err := io.ReadAll(io.LimitReader(resp.Body, doctorMaxBody))
	if err != nil {
		return nil, err
	}
	return &doctorResponse{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), header: resp.Header, body: body}, nil
}

// noteDate keeps the Date of the latest answer for the clock check.
func (d *doctor) noteDate(h string) {
	local := d.f.Now()
	t, err := http.ParseTime(h)
	if h == "" || err != nil {
		return
	}
	d.dateSeen, d.serverDate, d.localDate = true, t, local
}

// doctorEMRoot is the part of EM's EnterpriseManager document doctor reads.
type doctorEMRoot struct {
	XMLName  xml.Name
	Versions []struct {
		Name string `xml:"Name,attr"`
	} `xml:"SupportedVersions>SupportedVersion"`
}

const doctorEMNamespace = em.Namespace

// checkEM asks GET /api/ for EM's EnterpriseManager document.
func (d *doctor) checkEM(ctx context.Context) bool {
	const check = "em"
	notEM := "point --url at EM's REST API, https://EM-HOST:" + cmdutil.EMPort + " (" + cmdutil.VBRRESTPort + " is the Veeam Backup & Replication REST API, " + cmdutil.EMWebPort + " EM's web portal)"
	resp, err := d.get(ctx, "/api/", "application/xml")
	if err != nil {
		d.report(doctorFail, check, "GET /api/ failed: "+d.requestError(err), "check the network and the proxy settings", cmdutil.ExitUnreachable)
		return false
	}
	if resp.status != http.StatusOK {
		finding := fmt.Sprintf("GET /api/ answered %s%s, not EM's EnterpriseManager document", doctorStatusText(resp.status), doctorDescribeBody(resp))
		code := cmdutil.ExitNotEM
		switch resp.status {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			code = cmdutil.ExitUnreachable
			notEM = "a proxy or load balancer in front of EM got no answer: check that the Veeam RESTful API service runs"
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			finding += "; it redirects to " + strconv.Quote(iostreams.Clean(resp.header.Get("Location")))
		}
		if strings.HasPrefix(strings.ToLower(resp.header.Get("WWW-Authenticate")), "bearer") {
			finding += "; it asks for a Bearer token, as the Veeam Backup & Replication REST API does"
		}
		if d.port == cmdutil.VBRRESTPort {
			finding += "; port " + cmdutil.VBRRESTPort + " is the Veeam Backup & Replication REST API"
		}
		d.report(doctorFail, check, finding, notEM, code)
		return false
	}
	var root doctorEMRoot
	if err := xml.Unmarshal(resp.body, &root); err != nil || root.XMLName.Local != "EnterpriseManager" || root.XMLName.Space != doctorEMNamespace {
		what := "a document that is not XML"
		if err == nil {
			what = "XML root " + strconv.Quote(iostreams.Clean(root.XMLName.Local))
		}
		d.report(doctorFail, check, fmt.Sprintf("GET /api/ answered 200 with %s%s, not EM's EnterpriseManager document", what, doctorDescribeBody(resp)), notEM, cmdutil.ExitNotEM)
		return false
	}
	var versions []string
	latest := false
	for _, v := range root.Versions {
		name := iostreams.Clean(v.Name)
		versions = append(versions, name)
		if strings.EqualFold(name, "v1_7") {
			latest = true
		}
	}
	if len(versions) == 0 {
		d.report(doctorWarn, check, "Enterprise Manager, but GET /api/ lists no API versions", "check the EM version: vem needs API v1_7 (Veeam Backup & Replication 12 or later)", 0)
		return true
	}
	finding := "Enterprise Manager REST API, versions " + strings.Join(versions, ", ")
	if !latest {
		d.report(doctorWarn, check, finding+"; no v1_7: EM is older than version 12", "vem is built for API v1_7 (EM 12 and 13); upgrade EM", 0)
		return true
	}
	d.report(doctorOK, check, finding, "", 0)
	return true
}

// checkJSON asks GET /api/ for JSON and reports the key casing: EM 12
// answers PascalCase keys, EM 13 camelCase.
func (d *doctor) checkJSON(ctx context.Context) {
	const check = "json"
	status, code := doctorWarn, 0
	fix := "vem's default, --format xml, does not need JSON"
	if strings.EqualFold(d.f.Global.Format, string(vem.FormatJSON)) {
		status, code = doctorFail, cmdutil.ExitOther
		fix = "use --format xml (" + cmdutil.EnvFormat + "=xml)"
	}
	resp, err := d.get(ctx, "/api/", "application/json")
	if err != nil {
		d.report(status, check, "GET /api/ as JSON failed: "+d.requestError(err), fix, code)
		return
	}
	mt, _, _ := mime.ParseMediaType(resp.contentType)
	var doc map[string]json.RawMessage
	switch {
	case resp.status != http.StatusOK:
		d.report(status, check, "GET /api/ with Accept: application/json answered "+doctorStatusText(resp.status)+doctorDescribeBody(resp), fix, code)
		return
	case mt != "application/json" && !strings.HasSuffix(mt, "+json"):
		d.report(status, check, "GET /api/ with Accept: application/json answered "+strconv.Quote(iostreams.Clean(resp.contentType))+", not JSON", fix, code)
		return
	case json.Unmarshal(bytes.TrimPrefix(resp.body, []byte("\ufeff")), &doc) != nil:
		d.report(status, check, "GET /api/ answered Content-Type application/json with a body that is not a JSON object", fix, code)
		return
	}
	_, pascal := doc["SupportedVersions"]
	_, camel := doc["supportedVersions"]
	switch {
	case pascal:
		d.report(doctorOK, check, "answers JSON with PascalCase keys (EM 12 style)", "", 0)
	case camel:
		d.report(doctorOK, check, "answers JSON with camelCase keys (EM 13 style)", "", 0)
	default:
		d.report(status, check, "answers JSON without a SupportedVersions key in either casing", fix, code)
	}
}

// doctorStatusText is "404 Not Found".
func doctorStatusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return strconv.Itoa(code)
}

// doctorDescribeBody summarises an answer that is not what doctor expected: its
// Content-Type and the HTML title or the start of the text.
func doctorDescribeBody(r *doctorResponse) string {
	var parts []string
	if r.contentType != "" {
		parts = append(parts, iostreams.Clean(r.contentType))
	}
	if t := doctorHTMLTitle(r.body); t != "" {
		parts = append(parts, "HTML page "+strconv.Quote(t))
	} else if s := iostreams.Clean(string(bytes.TrimSpace(r.body))); s != "" {
		parts = append(parts, "body "+strconv.Quote(doctorTruncate(s, 80)))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// doctorHTMLTitle returns the title of an HTML page, or "".
func doctorHTMLTitle(b []byte) string {
	lower := bytes.ToLower(b)
	i := bytes.Index(lower, []byte("<title"))
	if i < 0 {
		return ""
	}
	j := bytes.IndexByte(lower[i:], '>')
	if j < 0 {
		return ""
	}
	start := i + j + 1
	end := bytes.Index(lower[start:], []byte("</title"))
	if end < 0 {
		return ""
	}
	return doctorTruncate(iostreams.Clean(string(b[start:start+end])), 80)
}

func doctorTruncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "..."
}

// requestError renders the error of a raw request without the URL that
// net/http repeats.
func (d *doctor) requestError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if doctorIsTimeout(err) && d.f.Global.Timeout > 0 {
		return "--timeout (" + d.f.Global.Timeout.String() + ") reached"
	}
	return iostreams.Clean(err.Error())
}
