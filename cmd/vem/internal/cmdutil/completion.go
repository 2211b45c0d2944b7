package cmdutil

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/vemkit/vem"
)

// FixedCompletion completes a flag value from a fixed list.
func FixedCompletion(values ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// ValueCompletion completes one value from known, ignoring case: "-end"
// completes to "-EndTime".
func ValueCompletion(known []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, k := range known {
			if strings.HasPrefix(strings.ToLower(k), strings.ToLower(toComplete)) {
				out = append(out, k)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// ListCompletion completes the last item of a comma-separated list of
// known values, ignoring case and leaving out the values already given:
// "failed,wa" completes to "failed,Warning".
func ListCompletion(known []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		done, last := "", toComplete
		if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
			done, last = toComplete[:i+1], toComplete[i+1:]
		}
		given := strings.Split(strings.ToLower(done), ",")
		var out []string
		for _, k := range known {
			if slices.Contains(given, strings.ToLower(k)) {
				continue
			}
			if strings.HasPrefix(strings.ToLower(k), strings.ToLower(last)) {
				out = append(out, done+k)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// NoFileCompletions turns off file completion for the named flags.
func NoFileCompletions(cmd *cobra.Command, flags ...string) {
	for _, name := range flags {
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions)
	}
}

// Canonical returns the known value equal to v ignoring case.
func Canonical(known []string, v string) (string, bool) {
	for _, k := range known {
		if strings.EqualFold(k, strings.TrimSpace(v)) {
			return k, true
		}
	}
	return "", false
}

// EnumFilter is field==v1 OR field==v2 ... for values checked against
// known; an unknown value is a usage error naming flag.
func EnumFilter(cmd *cobra.Command, flag, field string, known, values []string) (vem.Filter, error) {
	var fs []vem.Filter
	for _, v := range values {
		c, ok := Canonical(known, v)
		if !ok {
			return vem.Filter{}, Usagef(cmd, "--%s: invalid value %q (want %s)", flag, v, strings.Join(known, ", "))
		}
		fs = append(fs, vem.Eq(vem.Field(field), c))
	}
	return vem.Or(fs...), nil
}

// ExactArgs is cobra.ExactArgs with a usage error that names the arguments.
func ExactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return Usagef(cmd, "missing argument %s", names[len(args)])
		case len(args) > len(names):
			return Usagef(cmd, "unexpected argument %q", args[len(names)])
		}
		return nil
	}
}

// GroupRunE is the RunE of commands that only hold subcommands: cobra would
// print help and succeed for "vem bogus"; vem reports a usage error.
func GroupRunE(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return Usagef(cmd, "missing command")
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default, set only on its own error path
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return Usagef(cmd, "%s", msg)
}

// NewGroup returns a command that only holds subcommands.
func NewGroup(use, short string, aliases []string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Aliases: aliases, Args: cobra.ArbitraryArgs, RunE: GroupRunE}
	cmd.AddCommand(subs...)
	return cmd
}

// CheckFlags is the root's PersistentPreRunE: every command refuses an
// empty flag value (--since "$UNSET" must not silently mean "no filter"),
// and a global flag that does not apply to it.
func CheckFlags(cmd *cobra.Command, _ []string) error {
	for _, name := range notApplicable(cmd) {
		if fl := cmd.Flags().Lookup(name); fl != nil && fl.Changed {
			return Usagef(cmd, "--%s does not apply to %s", name, strings.TrimPrefix(cmd.CommandPath(), "vem "))
		}
	}
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if err != nil || f.Value.Type() == "bool" {
			return
		}
		empty := strings.TrimSpace(f.Value.String()) == ""
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			items := sv.GetSlice()
			empty = len(items) == 0 || slices.ContainsFunc(items, func(s string) bool { return strings.TrimSpace(s) == "" })
		}
		if empty {
			err = Usagef(cmd, "--%s: empty value (leave the flag out instead)", f.Name)
		}
	})
	return err
}
