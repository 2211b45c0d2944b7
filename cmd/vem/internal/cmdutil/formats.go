package cmdutil

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/vemkit/vem/cmd/vem/internal/output"
)

// Annotations a command sets through this package.
const (
	formatsAnnotation       = "vem:formats"        // the -o values it offers
	defaultFormatAnnotation = "vem:default-format" // its default -o
	notApplicableAnnotation = "vem:not-applicable" // global flags it refuses
)

// knownFormats are every -o value of any command, for the messages.
var knownFormats = []string{output.JSON, output.JSONL, output.Table, output.XML, output.Nagios, output.Prometheus}

// SetFormats declares the output formats cmd offers with -o, and its
// default (json when def is empty and json is offered; "" leaves the
// default to the command). -o completion offers exactly these, and
// Resolve refuses any other.
func SetFormats(cmd *cobra.Command, def string, formats ...string) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[formatsAnnotation] = strings.Join(formats, ",")
	cmd.Annotations[defaultFormatAnnotation] = def
}

// Formats returns the output formats cmd declares (nil: -o does not apply).
func Formats(cmd *cobra.Command) []string {
	s := cmd.Annotations[formatsAnnotation]
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// OutputFormat returns the output format of cmd: -o, else VEM_OUTPUT,
// else the command's default; "" when the command leaves the default to
// itself (vem health: table at a terminal). A format the command does not
// offer is a usage error. A command that declares no formats ignores -o.
func (f *Factory) OutputFormat(cmd *cobra.Command) (string, error) {
	formats := Formats(cmd)
	if formats == nil {
		return "", nil
	}
	v := f.Global.Output
	if fl := cmd.Flags().Lookup("output"); fl == nil || !fl.Changed {
		v = f.Getenv(EnvOutput)
	}
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "" {
		return cmd.Annotations[defaultFormatAnnotation], nil
	}
	if slices.Contains(formats, v) {
		return v, nil
	}
	want := joinOr(formats)
	if slices.Contains(knownFormats, v) {
		return "", Usagef(cmd, "-o %s is not available for %s (want %s)", v, strings.TrimPrefix(cmd.CommandPath(), "vem "), want)
	}
	return "", Usagef(cmd, "-o/--output (%s): invalid value %q (want %s)", EnvOutput, v, want)
}

// joinOr is "a, b or c".
func joinOr(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// outputCompletion completes -o with the formats of the command.
func outputCompletion(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	return Formats(cmd), cobra.ShellCompDirectiveNoFileComp
}

// NotApplicable declares global flags that do not apply to cmd (vem
// exporter and -o, vem fake-server and the connection flags): its help
// leaves them out and the command refuses them (CheckFlags).
func NotApplicable(cmd *cobra.Command, flags ...string) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[notApplicableAnnotation] = strings.Join(flags, ",")
}

// notApplicable returns the flags NotApplicable declared for cmd.
func notApplicable(cmd *cobra.Command) []string {
	s := cmd.Annotations[notApplicableAnnotation]
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// HideNotApplicable hides from cmd's help the global flags that do not
// apply to it.
func HideNotApplicable(cmd *cobra.Command) {
	for _, name := range notApplicable(cmd) {
		if fl := cmd.InheritedFlags().Lookup(name); fl != nil {
			fl.Hidden = true
		}
	}
}
