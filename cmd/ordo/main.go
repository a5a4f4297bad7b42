// Command ordo runs the Ordo server and talks to a running one.
//
//	ordo serve                 run the engine and HTTP API on embedded SQLite
//	ordo instances ...         list, describe and control instances
//	ordo flows ...             validate and apply order flows
//	ordo orders ...            create and inspect orders
//	ordo mesh ...              generate production files offline
//	ordo bench ...             measure the engine
//	ordo version               the version, VCS revision and build time
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// commands holds constructors of the top-level subcommands; each command's
// file registers its own in an init function, so the files stay independent.
var commands []func() *cobra.Command

func register(c func() *cobra.Command) { commands = append(commands, c) }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "ordo",
		Short:         "Ordo: a durable workflow engine for commerce order processing",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       readVersion().Line(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	for _, c := range commands {
		root.AddCommand(c())
	}
	return root
}

func main() {
	if err := newRootCmd().Execute(); err != nil {
		msg := err.Error()
		if !strings.HasPrefix(msg, "ordo:") {
			msg = "ordo: " + msg
		}
		fmt.Fprintln(os.Stderr, msg)
		var ec interface{ ExitCode() int }
		if asExit(err, &ec) {
			os.Exit(ec.ExitCode())
		}
		os.Exit(1)
	}
}
