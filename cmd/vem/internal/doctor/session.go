package doctor

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vemkit/vem"
	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
)

// ---- logon, query, clock, logout ----

// checkSession logs on through the SDK with the settings of every command,
// reads the query service, checks the clock, and logs out.
func (d *doctor) checkSession(ctx context.Context) {
	c, ok := d.logon(ctx)
	if c == nil {
		d.checkClock()
		return
	}
	// Close logs out a session the client opened, also when ctx has ended
	// (it has its own deadline), and leaves a borrowed one open. The
	// logout check closes it first; a second Close does nothing.
	defer func() { _ = c.Close() }()
	if ok {
		d.checkQuery(ctx, c)
	}
	d.checkClock()
	if ok {
		d.logout(c)
	}
}

// logon opens a session. It returns the client (to close) and whether a
// session is there to use.
func (d *doctor) logon(ctx context.Context) (*vem.Client, bool) {
	const check = "logon"
	d.borrowed = d.f.Global.Username == "" && d.f.Global.SessionID != ""
	mode := cmdutil.AuthCredentials
	if d.borrowed {
		mode = cmdutil.AuthAny
	}
	c, err := d.f.NewClient(d.cmd, mode)
	if err != nil {
		d.report(doctorFail, check, iostreams.Clean(cmdutil.Text(err)),
			"set --username ("+cmdutil.EnvUsername+") and "+cmdutil.EnvPassword+" (or --password-stdin)", cmdutil.ExitUsage)
		return nil, false
	}
	if d.borrowed {
		d.report(doctorWarn, check, "not tested: no --username ("+cmdutil.EnvUsername+"); the next checks use the session of "+cmdutil.EnvSessionID+" or --session-id-stdin",
			"set "+cmdutil.EnvUsername+" and "+cmdutil.EnvPassword+" to test a logon", 0)
		return c, true
	}
	// Quoted by hand: %q would double the backslash of DOMAIN\user.
	user := iostreams.Clean(d.f.Global.Username)
	err = c.Logon(ctx)
	var apiErr *vem.APIError
	switch {
	case err == nil:
		d.report(doctorOK, check, fmt.Sprintf("logged on as \"%s\" (%s)", user, doctorUserForm(d.f.Global.Username)), "", 0)
		return c, true
	case errors.Is(err, vem.ErrUnauthorized):
		d.report(doctorFail, check, fmt.Sprintf("EM refused the user name or password of \"%s\" (401 Unauthorized; %s)", user, doctorUserForm(d.f.Global.Username)),
			`check the password and the user name form: DOMAIN\user on a Windows EM, user@domain on a Linux EM; quote a backslash in the shell ('DOMAIN\user')`, cmdutil.ExitAuth)
	case errors.Is(err, vem.ErrForbidden):
		d.report(doctorFail, check, fmt.Sprintf("EM knows \"%s\" but refuses it a session (403 Forbidden): the account has no EM role", user),
			"give the account an EM role (Configuration > Roles): Portal Administrator, Portal User or Restore Operator", cmdutil.ExitAuth)
	case errors.Is(err, vem.ErrNotEnterpriseManager):
		d.report(doctorFail, check, "logon refused: "+iostreams.Clean(cmdutil.Text(err)),
			"check that --url is EM's REST API (port "+cmdutil.EMPort+") and that EM's services run", cmdutil.ExitNotEM)
	case errors.As(err, &apiErr):
		code := cmdutil.ExitOther
		switch apiErr.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			code = cmdutil.ExitUnreachable
		}
		d.report(doctorFail, check, "logon refused: "+iostreams.Clean(cmdutil.Text(err)),
			"check that --url is EM's REST API (port "+cmdutil.EMPort+") and that EM's services run", code)
	case doctorIsTimeout(err) && d.f.Global.Timeout > 0 && ctx.Err() != nil:
		d.report(doctorFail, check, "no answer before --timeout ("+d.f.Global.Timeout.String()+") was reached", "raise --timeout", cmdutil.ExitUnreachable)
	default:
		d.report(doctorFail, check, iostreams.Clean(strings.TrimPrefix(cmdutil.ErrorMessage(err), "vem: ")), "check the network and EM's services", cmdutil.ExitCode(err))
	}
	return c, false
}

// doctorUserForm says which form a user name has.
func doctorUserForm(u string) string {
	switch {
	case strings.Contains(u, `\`):
		return `DOMAIN\user form, as a Windows EM expects`
	case strings.Contains(u, "@"):
		return "user@domain form, as a Linux EM expects (a Windows EM accepts it for a domain account)"
	case strings.Contains(u, "/"):
		return `a "/" where DOMAIN\user has a backslash`
	}
	return "no domain: a local account of the EM server"
}

// doctorQueryResult is the part of a query service answer doctor reads.
type doctorQueryResult struct {
	Refs struct {
		Ref []struct{} `xml:"Ref"`
	} `xml:"Refs"`
	PagingInfo struct {
		PagesCount int `xml:"PagesCount,attr"`
	} `xml:"PagingInfo"`
}

// checkQuery reads one task session reference through the query service.
func (d *doctor) checkQuery(ctx context.Context, c *vem.Client) {
	const check = "query"
	raw, err := c.GetRaw(ctx, doctorQueryPath, vem.FormatXML)
	var apiErr *vem.APIError
	switch {
	case err == nil:
	case errors.Is(err, vem.ErrForbidden):
		d.report(doctorFail, check, "GET "+doctorQueryPath+" answered 403 Forbidden: the account may log on but lacks an EM role to read sessions",
			"give the account an EM role (Configuration > Roles), such as Portal Administrator or Restore Operator", cmdutil.ExitAuth)
		return
	case errors.Is(err, vem.ErrUnauthorized):
		d.report(doctorFail, check, "GET "+doctorQueryPath+" answered 401 Unauthorized: EM ended the session", "log on again; with a borrowed session ("+cmdutil.EnvSessionID+" or --session-id-stdin), run vem logon for a new token", cmdutil.ExitAuth)
		return
	case errors.As(err, &apiErr):
		code := cmdutil.ExitOther
		switch apiErr.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			code = cmdutil.ExitUnreachable
		}
		d.report(doctorFail, check, "query refused: "+iostreams.Clean(cmdutil.Text(err)),
			"check EM's version (the query service is in every supported one) and its services", code)
		return
	default:
		code := cmdutil.ExitCode(err)
		if code == cmdutil.ExitNotFound {
			code = cmdutil.ExitOther
		}
		d.report(doctorFail, check, "GET "+doctorQueryPath+" failed: "+iostreams.Clean(strings.TrimPrefix(cmdutil.ErrorMessage(err), "vem: ")), "check the network and EM's services", code)
		return
	}
	var qr doctorQueryResult
	if err := xml.Unmarshal(raw.Body, &qr); err != nil {
		d.report(doctorFail, check, "GET "+doctorQueryPath+" answered a body that is not a query result: "+iostreams.Clean(err.Error()),
			"check that --url is EM's REST API", cmdutil.ExitOther)
		return
	}
	visible := qr.PagingInfo.PagesCount // one task session per page
	if len(qr.Refs.Ref) == 0 {
		visible = 0
	}
	if visible == 0 {
		d.report(doctorOK, check, "the query service answers; no backup task sessions visible to this account (a role scoped to some objects sees only theirs)", "", 0)
		return
	}
	d.report(doctorOK, check, fmt.Sprintf("the query service answers; %d backup task %s visible to this account", visible, doctorPlural(visible, "session", "sessions")), "", 0)
}

func doctorPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// checkClock compares the Date header of the last raw answer with this
// machine's clock at its arrival. Date has whole seconds.
func (d *doctor) checkClock() {
	const check = "clock"
	if !d.dateSeen {
		d.report(doctorWarn, check, "the server sent no valid Date header: the clocks cannot be compared", "check the clock of EM against this machine's (NTP)", 0)
		return
	}
	skew := d.serverDate.Sub(d.localDate.Truncate(time.Second))
	abs := skew
	if abs < 0 {
		abs = -abs
	}
	abs = abs.Round(time.Second)
	where := "ahead of"
	if skew < 0 {
		where = "behind"
	}
	date := d.serverDate.UTC().Format(time.RFC3339)
	if abs > doctorMaxSkew {
		d.report(doctorWarn, check, fmt.Sprintf("the server's clock (Date %s) is %s %s this machine's", date, abs, where),
			"synchronise both clocks (NTP): certificate validity and time filters such as --since depend on them", 0)
		return
	}
	d.report(doctorOK, check, fmt.Sprintf("the server's clock (Date %s) is within %s of this machine's (off by %s)", date, doctorMaxSkew, abs), "", 0)
}

// logout closes the client, which logs out the session it opened and
// leaves a borrowed one open.
func (d *doctor) logout(c *vem.Client) {
	const check = "logout"
	err := c.Close()
	switch {
	case d.borrowed && err == nil:
		d.report(doctorOK, check, "the borrowed session ("+cmdutil.EnvSessionID+" or --session-id-stdin) stays open", "", 0)
	case err == nil:
		d.report(doctorOK, check, "session closed", "", 0)
	default:
		d.report(doctorWarn, check, "logout failed: "+iostreams.Clean(strings.TrimPrefix(cmdutil.ErrorMessage(err), "vem: ")),
			"EM ends an idle session after 15 minutes", 0)
	}
}
