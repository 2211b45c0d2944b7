package doctor

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
)

// ---- url ----

// checkURL checks the address and sets origin, host and port. It reports
// false when the address is unusable.
func (d *doctor) checkURL() bool {
	const check = "url"
	raw := strings.TrimSpace(d.f.Global.URL)
	if raw == "" {
		d.report(doctorFail, check, "no address", "set --url or "+cmdutil.EnvURL+", e.g. https://em.example.com:"+cmdutil.EMPort, cmdutil.ExitUsage)
		return false
	}
	u, err := url.Parse(raw)
	if err != nil {
		// The message of a *url.Error repeats the address, which may hold
		// a password: print only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		d.report(doctorFail, check, "not a valid URL: "+iostreams.Clean(err.Error()), "give https://HOST:"+cmdutil.EMPort, cmdutil.ExitUsage)
		return false
	}
	if u.User != nil {
		d.report(doctorFail, check, "the address carries a user name or password",
			"remove it from the URL; give the user in --username ("+cmdutil.EnvUsername+") and the password in "+cmdutil.EnvPassword+" or --password-stdin", cmdutil.ExitUsage)
		return false
	}
	shown := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	scheme := strings.ToLower(u.Scheme)
	var warn []string
	var fix []string
	switch {
	case scheme == "https":
	case scheme == "http" && d.f.Global.Insecure:
		warn = append(warn, "plain http (allowed by --insecure): the password and the session token travel in clear text")
		fix = append(fix, "use https://")
	case scheme == "http":
		d.report(doctorFail, check, iostreams.Clean(shown)+": plain http sends the password and the session token in clear text",
			"use https://, or add --insecure ("+cmdutil.EnvInsecure+"=1) on a trusted network", cmdutil.ExitUsage)
		return false
	case scheme == "":
		d.report(doctorFail, check, iostreams.Clean(shown)+": not an absolute URL", "give https://HOST:"+cmdutil.EMPort, cmdutil.ExitUsage)
		return false
	default:
		d.report(doctorFail, check, iostreams.Clean(shown)+": scheme "+strconv.Quote(u.Scheme)+" is not https", "give https://HOST:"+cmdutil.EMPort, cmdutil.ExitUsage)
		return false
	}
	if u.Hostname() == "" {
		d.report(doctorFail, check, iostreams.Clean(shown)+": no host", "give https://HOST:"+cmdutil.EMPort, cmdutil.ExitUsage)
		return false
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		d.report(doctorFail, check, iostreams.Clean(shown)+": the address has a query or fragment", "give only https://HOST:"+cmdutil.EMPort, cmdutil.ExitUsage)
		return false
	}
	if p := strings.TrimRight(u.Path, "/"); p != "" && p != "/api" {
		d.report(doctorFail, check, iostreams.Clean(shown)+": unexpected path "+strconv.Quote(u.Path)+"; EM serves its API at /api/",
			"give https://HOST:"+cmdutil.EMPort+" (a path of /api is accepted too)", cmdutil.ExitUsage)
		return false
	}
	port := u.Port()
	explicit := port != ""
	if !explicit {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		d.report(doctorFail, check, iostreams.Clean(shown)+": invalid port "+strconv.Quote(port), "give https://HOST:"+cmdutil.EMPort, cmdutil.ExitUsage)
		return false
	}
	portNote := "port " + port
	switch {
	case !explicit:
		portNote = "port " + port + " (none given)"
		warn = append(warn, "no port: "+scheme+" connects to "+port+", EM's REST API listens on "+cmdutil.EMPort)
		fix = append(fix, "add :"+cmdutil.EMPort+" unless a proxy serves EM on "+port)
	case port == cmdutil.VBRRESTPort:
		warn = append(warn, "port "+cmdutil.VBRRESTPort+" is the Veeam Backup & Replication REST API, not Enterprise Manager")
		fix = append(fix, "use EM's port: https://"+u.Host[:len(u.Host)-len(port)]+cmdutil.EMPort)
	case port == cmdutil.EMWebPort:
		warn = append(warn, "port "+cmdutil.EMWebPort+" is EM's web portal, not its REST API")
		fix = append(fix, "use EM's port: https://"+u.Host[:len(u.Host)-len(port)]+cmdutil.EMPort)
	case port != cmdutil.EMPort:
		portNote += " (EM's default is " + cmdutil.EMPort + ")"
	}

	d.origin = &url.URL{Scheme: scheme, Host: u.Host}
	d.host = u.Hostname()
	d.port = port
	d.hostport = net.JoinHostPort(d.host, port)
	finding := fmt.Sprintf("%s: %s, %s, API at /api/", iostreams.Clean(shown), scheme, portNote)
	if len(warn) > 0 {
		d.report(doctorWarn, check, finding+": "+strings.Join(warn, "; "), strings.Join(fix, "; "), 0)
	} else {
		d.report(doctorOK, check, finding, "", 0)
	}
	return true
}
