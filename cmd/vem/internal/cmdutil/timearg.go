package cmdutil

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vemkit/vem/cmd/vem/internal/output"
)

// ErrEmptyTime is returned for an empty --since or --until.
var ErrEmptyTime = errors.New("empty value")

// ParseTimeArg reads a --since or --until value: a duration before now
// ("90m", "24h", "7d", "1d12h"; "d" is 24 hours) or an absolute time in RFC
// 3339 ("2025-10-11T20:00:00Z", "2025-10-11T22:00:00+02:00") or a date
// ("2025-10-11", midnight UTC). A time without a zone is UTC, as on EM:
// "2025-10-11T20:00:00", "2025-10-11T20:00:00.5" and the table output's
// own "2025-10-11 20:00:00" are accepted.
func ParseTimeArg(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, ErrEmptyTime
	}
	if d, ok, err := ParseDays(s); ok {
		if err != nil {
			return time.Time{}, err
		}
		return now.Add(-d).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", output.TimeLayout + ".999999999", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid value %q (want a duration such as 24h or 7d, or a time such as 2025-10-11T20:00:00Z, \"2025-10-11 20:00:00\" (UTC) or 2025-10-11)", s)
}

// ParseDays parses a duration with an optional leading day count ("7d",
// "1d12h") or a plain Go duration ("36h"). ok is false when s is not a
// duration at all (it may then be a time).
func ParseDays(s string) (d time.Duration, ok bool, err error) {
	days, rest, hasDays := strings.Cut(s, "d")
	if hasDays {
		n, convErr := strconv.Atoi(days)
		if convErr != nil || n < 0 || strings.HasPrefix(days, "+") {
			return 0, false, nil
		}
		if n > maxDays {
			return 0, true, fmt.Errorf("duration %q is too long", s)
		}
		d = time.Duration(n) * 24 * time.Hour
		if rest != "" {
			r, perr := time.ParseDuration(rest)
			if perr != nil || r < 0 {
				return 0, true, fmt.Errorf("invalid duration %q", s)
			}
			d += r
		}
		return d, true, nil
	}
	d, err = time.ParseDuration(s)
	if err != nil {
		return 0, false, nil
	}
	if d < 0 {
		return 0, true, errors.New("a duration must not be negative: it counts back from now")
	}
	return d, true, nil
}

// maxDays bounds the day count of a duration, far below time.Duration's
// limit of about 292 years.
const maxDays = 100 * 366
