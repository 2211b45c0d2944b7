package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/vemkit/vem/cmd/vem/internal/cmdutil"
	"github.com/vemkit/vem/cmd/vem/internal/iostreams"
)

// ---- tcp ----

// checkTCP connects to the host and port.
func (d *doctor) checkTCP(ctx context.Context) bool {
	const check = "tcp"
	dialer := &net.Dialer{Timeout: doctorDialTimeout}
	start := time.Now()
	conn, err := dialer.DialContext(ctx, "tcp", d.hostport)
	if err != nil {
		finding, fix := d.describeDialError(err)
		d.report(doctorFail, check, finding, fix, cmdutil.ExitUnreachable)
		return false
	}
	elapsed := time.Since(start)
	remote := conn.RemoteAddr().String()
	conn.Close()
	via := ""
	if remote != d.hostport {
		via = remote + ", "
	}
	finding := fmt.Sprintf("%s accepts connections (%sconnected in %s; timeout %s)",
		iostreams.Clean(d.hostport), via, doctorRoundDuration(elapsed), doctorDialTimeout)
	if p := d.proxy(); p != "" {
		d.report(doctorWarn, check, finding+"; but the environment sets a proxy, "+p+", for this address: vem's requests go through it, this check did not",
			"make sure the proxy reaches EM, or exclude the host in NO_PROXY", 0)
		return true
	}
	d.report(doctorOK, check, finding, "", 0)
	return true
}

// proxy returns the host of the proxy the environment sets for EM's
// address (HTTPS_PROXY, NO_PROXY), or "".
func (d *doctor) proxy() string {
	req := &http.Request{URL: &url.URL{Scheme: d.origin.Scheme, Host: d.origin.Host, Path: "/api/"}}
	proxyFor := d.proxyFor
	if proxyFor == nil {
		proxyFor = http.ProxyFromEnvironment
	}
	p, err := proxyFor(req)
	if err != nil || p == nil {
		return ""
	}
	return iostreams.Clean(p.Host) // never p.User
}

// describeDialError explains a failed connection and what to do.
func (d *doctor) describeDialError(err error) (finding, fix string) {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded) && d.f.Global.Timeout > 0:
		return "no connection to " + d.hostport + " before --timeout (" + d.f.Global.Timeout.String() + ") was reached",
			"raise --timeout, or check the host, the port and the firewall"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return "host " + strconv.Quote(iostreams.Clean(d.host)) + " not found in DNS",
			"check the host name in --url (" + cmdutil.EnvURL + ")"
	case errors.As(err, &dnsErr):
		return "DNS lookup of " + strconv.Quote(iostreams.Clean(d.host)) + " failed: " + iostreams.Clean(dnsErr.Err),
			"check the DNS servers of this machine"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection to " + d.hostport + " refused: nothing listens on port " + d.port,
			"check that the Veeam RESTful API service runs on the EM server and that the port is " + cmdutil.EMPort
	case doctorIsTimeout(err):
		return "no answer from " + d.hostport + " within " + doctorDialTimeout.String(),
			"check the host and the port; a firewall may drop the packets"
	}
	return "cannot connect to " + d.hostport + ": " + iostreams.Clean(err.Error()),
		"check the host, the port and the network between"
}

func doctorIsTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// doctorRoundDuration rounds a short duration for display.
func doctorRoundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
